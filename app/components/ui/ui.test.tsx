import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Alert } from './alert';
import { Badge, STATUS_LABELS, StatusBadge } from './badge';
import { Button } from './button';
import { Field } from './field';
import { PageHeader } from './page-header';

describe('Field', () => {
  it('links the label, help and error to the control', () => {
    const html = renderToStaticMarkup(<Field label="Email" id="email" name="email" help="Your work address" errors={['Enter an email address']} />);
    expect(html).toContain('<label');
    expect(html).toContain('for="email"');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('aria-describedby="email-help email-error"');
    expect(html).toContain('id="email-error"');
    expect(html).toContain('Enter an email address');
  });

  it('is not marked invalid without an error', () => {
    const html = renderToStaticMarkup(<Field label="Email" id="email" name="email" />);
    expect(html).not.toContain('aria-invalid');
    expect(html).not.toContain('aria-describedby');
  });
});

describe('Badge', () => {
  it('says every status in words', () => {
    for (const [status, label] of Object.entries(STATUS_LABELS)) {
      const html = renderToStaticMarkup(<StatusBadge status={status as keyof typeof STATUS_LABELS} />);
      expect(html).toContain(`>${label}</span>`);
      expect(html).toContain(`data-status="${status}"`);
    }
    expect(STATUS_LABELS).toMatchObject({ refresh_failing: 'Refresh failing', coming_soon: 'Coming soon', sandbox: 'Sandbox' });
    expect(renderToStaticMarkup(<Badge>Beta</Badge>)).toContain('Beta');
  });
});

describe('Alert', () => {
  it('announces errors assertively and the rest politely', () => {
    expect(renderToStaticMarkup(<Alert tone="error">No</Alert>)).toContain('role="alert"');
    expect(renderToStaticMarkup(<Alert tone="success">Yes</Alert>)).toContain('role="status"');
  });
});

describe('Button', () => {
  it('renders its child with the button look when asChild', () => {
    const html = renderToStaticMarkup(
      <Button asChild variant="secondary">
        <a href="/x">Go</a>
      </Button>,
    );
    expect(html).toMatch(/^<a /);
    expect(html).toContain('border-input');
    expect(html).not.toContain('<button');
  });

  it('adds a caller class to the variant classes; a different look is a variant of its own', () => {
    const html = renderToStaticMarkup(<Button className="w-full">Save</Button>);
    expect(html).toMatch(/class="[^"]*bg-primary[^"]*w-full"/);
    const outline = renderToStaticMarkup(<Button variant="dangerOutline">Disconnect</Button>);
    expect(outline).toContain('text-danger');
    expect(outline).not.toContain('text-secondary-foreground');
  });
});

describe('PageHeader', () => {
  it('renders one h1 with badges and the action', () => {
    const html = renderToStaticMarkup(
      <PageHeader title="Intercom" badges={<StatusBadge status="connected" />} action={<Button>Connect</Button>} />,
    );
    expect(html.match(/<h1/g)).toHaveLength(1);
    expect(html).toContain('Connected');
    expect(html).toContain('Connect</button>');
  });
});
