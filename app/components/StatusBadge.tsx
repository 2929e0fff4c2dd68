const LABELS = {
  connected: 'Connected',
  not_connected: 'Not connected',
  disconnected: 'Disconnected',
  coming_soon: 'Coming soon',
  not_configured: 'Not configured',
} as const;

export type BadgeStatus = keyof typeof LABELS;

export function StatusBadge({ status }: { status: BadgeStatus }) {
  return <span className={`badge ${status.replace('_', '-')}`}>{LABELS[status]}</span>;
}
