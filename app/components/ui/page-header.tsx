import type { ReactNode } from 'react';
import { cn } from '~/utils/cn';

interface PageHeaderProps {
  title: ReactNode;
  /** A decorative icon (the connector's logo); give it aria-hidden. */
  icon?: ReactNode;
  description?: ReactNode;
  /** Status badges beside the title. */
  badges?: ReactNode;
  /** The page's one primary action (a Button or a Form with one). */
  action?: ReactNode;
  className?: string;
}

/** The top of a page: icon, the page's only h1, badges, and one primary action. */
export function PageHeader({ title, icon, description, badges, action, className }: PageHeaderProps) {
  return (
    <div data-ui="page-header" className={cn('mb-6 flex flex-wrap items-start justify-between gap-4', className)}>
      <div className="flex min-w-0 items-start gap-3">
        {icon ? <div className="shrink-0">{icon}</div> : null}
        <div className="flex min-w-0 flex-col gap-1">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <h1 className="break-words text-2xl font-bold leading-tight">{title}</h1>
            {badges ? <div className="flex flex-wrap gap-2">{badges}</div> : null}
          </div>
          {description ? <p className="text-sm text-muted-foreground">{description}</p> : null}
        </div>
      </div>
      {action ? <div className="shrink-0">{action}</div> : null}
    </div>
  );
}
