import * as LabelPrimitive from '@radix-ui/react-label';
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { cn } from '~/utils/cn';

const controlClass =
  'block w-full rounded-md border border-input bg-card px-3 py-2 text-base text-foreground placeholder:text-muted-foreground focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-60 aria-[invalid=true]:border-danger';

export function Label({ className, ...props }: LabelPrimitive.LabelProps) {
  return <LabelPrimitive.Root data-ui="label" className={cn('block text-sm font-semibold', className)} {...props} />;
}

export function Input({ className, ...props }: InputHTMLAttributes<HTMLInputElement>) {
  // Props first: the id leads the tag, as the server-render tests expect.
  return <input {...props} data-ui="input" className={cn(controlClass, className)} />;
}

export function Select({ className, ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select {...props} data-ui="select" className={cn(controlClass, className)} />;
}

interface FieldBase {
  label: ReactNode;
  /** Shown under the control and linked to it with aria-describedby. */
  help?: ReactNode;
  /** The first message is shown; the control gets aria-invalid and describes itself with it. */
  errors?: readonly string[] | null;
  className?: string;
}

function useFieldIds(id: string | undefined) {
  const fallback = useId();
  const controlId = id ?? fallback;
  return { controlId, helpId: `${controlId}-help`, errorId: `${controlId}-error` };
}

function describedBy(helpId: string, errorId: string, help: ReactNode, error: string | undefined) {
  return [help ? helpId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
}

function FieldChrome({
  label,
  help,
  error,
  ids,
  className,
  children,
}: Omit<FieldBase, 'errors'> & { error?: string; ids: ReturnType<typeof useFieldIds>; children: ReactNode }) {
  return (
    <div data-ui="field" className={cn('flex flex-col gap-1.5', className)}>
      <Label htmlFor={ids.controlId}>{label}</Label>
      {children}
      {help ? (
        <p id={ids.helpId} className="text-sm text-muted-foreground">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={ids.errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Label, input, help text and error, wired for assistive technology. */
export function Field({ label, help, errors, className, id, ...input }: FieldBase & InputHTMLAttributes<HTMLInputElement>) {
  const ids = useFieldIds(id);
  const error = errors?.[0];
  return (
    <FieldChrome label={label} help={help} error={error} ids={ids} className={className}>
      <Input
        id={ids.controlId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(ids.helpId, ids.errorId, help, error)}
        {...input}
      />
    </FieldChrome>
  );
}

/** The same as Field, around a native <select> (works without JavaScript). */
export function SelectField({
  label,
  help,
  errors,
  className,
  id,
  children,
  ...select
}: FieldBase & SelectHTMLAttributes<HTMLSelectElement>) {
  const ids = useFieldIds(id);
  const error = errors?.[0];
  return (
    <FieldChrome label={label} help={help} error={error} ids={ids} className={className}>
      <Select
        id={ids.controlId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(ids.helpId, ids.errorId, help, error)}
        {...select}
      >
        {children}
      </Select>
    </FieldChrome>
  );
}
