import { Form, Link, useNavigation } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from '~/components/ui/alert-dialog';
import { Button, buttonVariants } from '~/components/ui/button';

export type Revocation = 'at_provider' | 'not_offered' | 'turned_off';

/** What disconnecting does, for the confirmation. */
export function disconnectText(name: string, workspaceName: string | null, revocation: Revocation): string {
  const forget = `Plugboard will delete its stored tokens and stop using this connection. To end the access at ${name} too, remove the app from your account's connected apps there.`;
  const what = {
    at_provider: `Plugboard will revoke its access to ${workspaceName ?? 'the account'}, delete the stored token, and stop using this connection.`,
    not_offered: `${name} offers apps no way to revoke access: ${forget}`,
    turned_off: `This connection is set not to revoke its access at ${name} (its refresh token may be shared with another install): ${forget}`,
  }[revocation];
  return `${what} You can reconnect at any time.`;
}

/** Where the access itself ends (an app installation is uninstalled at the provider), with its settings link. */
export interface RemovedAtProvider {
  text: string;
  url: string | null;
}

function RemovedAtProviderNote({ name, note }: { name: string; note: RemovedAtProvider | null | undefined }) {
  if (!note) return null;
  return (
    <span className="mt-2 block" data-testid="removed-at-provider">
      {note.text}
      {note.url ? (
        <>
          {' '}
          <a href={note.url} target="_blank" rel="noreferrer noopener" className="font-semibold underline">
            Open the settings on {name}
          </a>
        </>
      ) : null}
    </span>
  );
}

function ConfirmForm({ busy }: { busy: boolean }) {
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="disconnect" />
      <Button type="submit" variant="danger" disabled={busy} className="w-full sm:w-auto">
        {busy ? 'Disconnecting…' : 'Yes, disconnect'}
      </Button>
    </Form>
  );
}

/**
 * Disconnect, confirmed first. With JavaScript: a Radix AlertDialog (focus trapped, Escape and
 * Cancel close it and return focus to the trigger); "Yes, disconnect" posts to the page's
 * action, which answers with a flash notice. Without JavaScript the trigger is a plain GET to
 * `?confirm=disconnect`, where DisconnectConfirmation renders the same question in the page.
 */
export function DisconnectDialog({
  name,
  workspaceName,
  revocation,
  removedAtProvider,
}: {
  name: string;
  workspaceName: string | null;
  revocation: Revocation;
  removedAtProvider?: RemovedAtProvider | null;
}) {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [open, setOpen] = useState(false);
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'disconnect';

  if (!hydrated) {
    return (
      <Form method="get">
        <input type="hidden" name="confirm" value="disconnect" />
        <Button type="submit" variant="dangerOutline">
          Disconnect
        </Button>
      </Form>
    );
  }
  return (
    // While the disconnect is under way the dialog stays open, so focus stays inside it.
    <AlertDialog open={open || busy} onOpenChange={(next) => (busy ? undefined : setOpen(next))}>
      <AlertDialogTrigger asChild>
        <Button type="button" variant="dangerOutline">
          Disconnect
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Disconnect {name}?</AlertDialogTitle>
          <AlertDialogDescription>
            {disconnectText(name, workspaceName, revocation)}
            <RemovedAtProviderNote name={name} note={removedAtProvider} />
          </AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel disabled={busy}>Cancel</AlertDialogCancel>
          <ConfirmForm busy={busy} />
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}

/** The same question without JavaScript, rendered in the page at `?confirm=disconnect`. */
export function DisconnectConfirmation({
  name,
  workspaceName,
  revocation,
  removedAtProvider,
  cancelHref,
}: {
  name: string;
  workspaceName: string | null;
  revocation: Revocation;
  removedAtProvider?: RemovedAtProvider | null;
  cancelHref: string;
}) {
  const busy = useNavigation().state === 'submitting';
  return (
    <div
      role="alertdialog"
      aria-labelledby="confirm-heading"
      aria-describedby="confirm-text"
      className="flex flex-col gap-3 rounded-md border-l-4 border-danger bg-danger-soft px-4 py-3"
    >
      <h2 id="confirm-heading" className="text-lg font-bold">
        Disconnect {name}?
      </h2>
      <p id="confirm-text" className="text-sm">
        {disconnectText(name, workspaceName, revocation)}
        <RemovedAtProviderNote name={name} note={removedAtProvider} />
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <ConfirmForm busy={busy} />
        <Link to={cancelHref} className={buttonVariants({ variant: 'secondary' })}>
          Cancel
        </Link>
      </div>
    </div>
  );
}

/**
 * After "Yes, disconnect" the Disconnect button and its dialog are gone: focus goes to the
 * state's new primary action (Reconnect) in the header, or its heading, never to the body.
 * Scheduled after the dialog's own focus return, which would aim at the removed trigger.
 */
export function useFocusAfterDisconnect(connected: boolean, hydrated: boolean) {
  const wasConnected = useRef(connected);
  useEffect(() => {
    if (wasConnected.current && !connected && hydrated) {
      const header = document.querySelector<HTMLElement>('.connector-head');
      const target = header?.querySelector<HTMLElement>('button') ?? header?.querySelector<HTMLElement>('h1');
      if (target && !target.matches('button')) target.setAttribute('tabindex', '-1');
      setTimeout(() => target?.focus(), 0);
    }
    wasConnected.current = connected;
  }, [connected, hydrated]);
}
