import { Form } from '@remix-run/react';
import { Field, SelectField } from '~/components/ui/field';
import { Button } from '~/components/ui/button';
import type { ConnectionSettingView, ConnectorStatus } from '../../../server/trpc/schemas';
import type { ConnectorActionData } from './types';

/** The id of the Connect form: the header's primary action submits it with `form=`. */
export const CONNECT_FORM_ID = 'connect-form';

/**
 * The Connect form: the connection's settings (prefilled with the live values). Its submit button
 * is either its own (`submitLabel`) or the header's primary action, tied to it by `form=`, so
 * the page has one button per action and both work without JavaScript.
 */
export function SettingsForm({
  settings,
  actionData,
  busy,
  submitLabel,
  apiKey,
}: {
  settings: ConnectionSettingView[];
  actionData: ConnectorActionData | undefined;
  busy: boolean;
  submitLabel?: string;
  /** An API-key connector (docs/decisions/019-api-key-mode.md): the form asks for the key too. */
  apiKey?: ConnectorStatus['apiKey'];
}) {
  return (
    <Form method="post" reloadDocument id={CONNECT_FORM_ID} className="flex flex-col gap-4">
      <input type="hidden" name="intent" value={apiKey ? 'connect_key' : 'connect'} />
      {settings.map((setting) => {
        const errors = actionData?.fieldErrors?.[setting.name] ?? null;
        const value = actionData?.values?.[setting.name] ?? setting.value ?? undefined;
        const common = {
          id: `setting-${setting.name}`,
          name: setting.name,
          label: setting.label,
          help: setting.help ?? undefined,
          errors,
          defaultValue: value,
          required: setting.required,
        };
        return setting.options ? (
          <SelectField key={setting.name} {...common}>
            {setting.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </SelectField>
        ) : (
          <Field key={setting.name} type="text" autoComplete="off" spellCheck={false} {...common} />
        );
      })}
      {apiKey ? (
        // A password input, never prefilled: the key is not sent back to the page, even after an error.
        <Field
          id="api-key"
          name="apiKey"
          type="password"
          label={apiKey.label}
          help={apiKey.help ?? undefined}
          errors={actionData?.fieldErrors?.apiKey ?? null}
          autoComplete="off"
          spellCheck={false}
          maxLength={apiKey.maxLength}
          required
        />
      ) : null}
      {submitLabel ? (
        <div>
          <Button type="submit" variant="secondary" disabled={busy}>
            {submitLabel}
          </Button>
        </div>
      ) : null}
    </Form>
  );
}
