const LABELS = {
  connected: 'Connected',
  needs_reconnect: 'Reconnect needed',
  not_connected: 'Not connected',
  disconnected: 'Disconnected',
  coming_soon: 'Coming soon',
  not_configured: 'Not configured',
} as const;

export type BadgeStatus = keyof typeof LABELS;

/** The state in words (never colour alone); the class only adds the colour. */
export function StatusBadge({ status }: { status: BadgeStatus }) {
  return <span className={`badge ${status.replaceAll('_', '-')}`}>{LABELS[status]}</span>;
}
