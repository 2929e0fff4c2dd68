import { cva, type VariantProps } from 'class-variance-authority';
import type { HTMLAttributes } from 'react';
import { cn } from '~/utils/cn';

export const badgeVariants = cva(
  'inline-flex w-fit items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold',
  {
    variants: {
      variant: {
        neutral: 'bg-muted text-muted-foreground',
        connected: 'bg-success-soft text-success',
        not_connected: 'bg-muted text-muted-foreground',
        disconnected: 'bg-warning-soft text-warning',
        needs_reconnect: 'bg-danger-soft text-danger',
        refresh_failing: 'bg-danger-soft text-danger',
        not_configured: 'bg-warning-soft text-warning',
        sandbox: 'bg-sandbox-soft text-sandbox',
        coming_soon: 'bg-muted text-muted-foreground',
      },
    },
    defaultVariants: { variant: 'neutral' },
  },
);

export type BadgeVariant = NonNullable<VariantProps<typeof badgeVariants>['variant']>;

/** The words for each status: the badge always says its state, colour only adds to it. */
export const STATUS_LABELS = {
  connected: 'Connected',
  not_connected: 'Not connected',
  disconnected: 'Disconnected',
  needs_reconnect: 'Reconnect needed',
  refresh_failing: 'Refresh failing',
  not_configured: 'Not configured',
  sandbox: 'Sandbox',
  coming_soon: 'Coming soon',
} as const satisfies Record<Exclude<BadgeVariant, 'neutral'>, string>;

export type BadgeStatus = keyof typeof STATUS_LABELS;

interface BadgeProps extends HTMLAttributes<HTMLSpanElement>, VariantProps<typeof badgeVariants> {}

export function Badge({ className, variant, ...props }: BadgeProps) {
  return <span data-ui="badge" className={cn(badgeVariants({ variant }), className)} {...props} />;
}

/** A status badge whose text comes from STATUS_LABELS, so no caller can show colour alone. */
export function StatusBadge({ status, className }: { status: BadgeStatus; className?: string }) {
  return (
    <Badge variant={status} data-status={status} className={className}>
      {STATUS_LABELS[status]}
    </Badge>
  );
}
