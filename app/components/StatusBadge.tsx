// The connector pages' import path; the badge itself lives in the design system.
export { StatusBadge, type BadgeStatus } from './ui/badge';
