/**
 * Radix Toast, styled, and the one region that shows the flash message with JavaScript. The
 * server render shows the same message as an Alert in the page (app/root.tsx), so nothing
 * depends on JavaScript; after hydration the Alert gives way to the toast.
 */
import * as ToastPrimitive from '@radix-ui/react-toast';
import { forwardRef, useState, type ComponentPropsWithoutRef, type ElementRef } from 'react';
import { cn } from '~/utils/cn';
import type { AlertTone } from './alert';

export const ToastProvider = ToastPrimitive.Provider;

export const ToastViewport = forwardRef<
  ElementRef<typeof ToastPrimitive.Viewport>,
  ComponentPropsWithoutRef<typeof ToastPrimitive.Viewport>
>(({ className, ...props }, ref) => (
  <ToastPrimitive.Viewport
    ref={ref}
    className={cn(
      'fixed bottom-0 right-0 z-[100] m-0 flex w-full max-w-[420px] list-none flex-col gap-2 p-4 outline-none',
      className,
    )}
    {...props}
  />
));
ToastViewport.displayName = 'ToastViewport';

const toneClass: Record<AlertTone, string> = {
  info: 'border-info bg-info-soft text-info',
  success: 'border-success bg-success-soft text-success',
  warning: 'border-warning bg-warning-soft text-warning',
  error: 'border-danger bg-danger-soft text-danger',
};

export interface FlashToastProps {
  tone: AlertTone;
  text: string;
}

/** One flash message as a toast; errors stay until dismissed, the rest close after a while. */
export function FlashToast({ tone, text }: FlashToastProps) {
  const [open, setOpen] = useState(true);
  return (
    <ToastPrimitive.Root
      open={open}
      onOpenChange={setOpen}
      type={tone === 'error' ? 'foreground' : 'background'}
      duration={tone === 'error' ? Infinity : 8000}
      data-tone={tone}
      className={cn(
        'flex items-start justify-between gap-3 rounded-md border-l-4 px-4 py-3 text-sm shadow-lg data-[state=open]:animate-in data-[state=closed]:animate-out data-[state=closed]:fade-out-80 data-[state=open]:slide-in-from-bottom-full',
        toneClass[tone],
      )}
    >
      <ToastPrimitive.Description>{text}</ToastPrimitive.Description>
      <ToastPrimitive.Close
        className="rounded-sm px-1 font-semibold underline underline-offset-2 focus-visible:outline focus-visible:outline-2 focus-visible:outline-ring"
        aria-label="Dismiss notification"
      >
        Dismiss
      </ToastPrimitive.Close>
    </ToastPrimitive.Root>
  );
}

/** A flash notice with its own toast region: loaded on demand, only when there is a notice to show. */
export default function FlashNotice({ tone, text, label = 'Notification' }: FlashToastProps & { label?: string }) {
  return (
    <ToastProvider label={label}>
      <FlashToast tone={tone} text={text} />
      <ToastViewport />
    </ToastProvider>
  );
}
