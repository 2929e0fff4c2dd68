import { cva, type VariantProps } from 'class-variance-authority';
import type { HTMLAttributes, ReactNode } from 'react';
import { cn } from '~/utils/cn';

const alertVariants = cva('rounded-md border-l-4 px-4 py-3 text-sm [&_a]:font-semibold [&_a]:text-current', {
  variants: {
    tone: {
      info: 'border-info bg-info-soft text-info',
      success: 'border-success bg-success-soft text-success',
      warning: 'border-warning bg-warning-soft text-warning',
      error: 'border-danger bg-danger-soft text-danger',
    },
  },
  defaultVariants: { tone: 'info' },
});

export type AlertTone = NonNullable<VariantProps<typeof alertVariants>['tone']>;

interface AlertProps extends Omit<HTMLAttributes<HTMLDivElement>, 'title'> {
  tone?: AlertTone;
  title?: ReactNode;
}

/**
 * A notice in the page. Errors are announced at once (role="alert"), everything else politely
 * (role="status"); pass `role` to override, e.g. for a notice that is not news.
 */
export function Alert({ tone = 'info', title, className, children, role, ...props }: AlertProps) {
  return (
    <div
      data-ui="alert"
      data-tone={tone}
      role={role ?? (tone === 'error' ? 'alert' : 'status')}
      className={cn(alertVariants({ tone }), className)}
      {...props}
    >
      {title ? <p className="font-bold">{title}</p> : null}
      {children}
    </div>
  );
}
