import { cn } from '~/utils/cn';

interface Props {
  name: string;
  brandColor: string;
  icon: { title: string; svgPath: string } | null;
  /** Letters shown when there is no icon (the catalog keeps them distinct); else the name's first letter. */
  monogram?: string;
  size?: number;
  className?: string;
}

/**
 * The brand mark from simple-icons on a tinted tile, or the connector's monogram on its brand
 * colour. Decorative: the connector's name is always written next to it.
 */
export function ConnectorIcon({ name, brandColor, icon, monogram, size = 40, className }: Props) {
  const tile = 'icon inline-flex shrink-0 items-center justify-center rounded-md';
  if (!icon) {
    const letters = (monogram ?? name.charAt(0)).slice(0, 2);
    return (
      <span
        className={cn(tile, 'monogram font-bold tracking-tight', className)}
        data-mark={`monogram:${letters}`}
        style={{
          background: brandColor,
          color: readableOn(brandColor),
          width: size,
          height: size,
          fontSize: Math.round(size * (letters.length > 1 ? 0.4 : 0.45)),
        }}
        aria-hidden="true"
      >
        {letters}
      </span>
    );
  }
  return (
    <span
      className={cn(tile, className)}
      data-mark={`icon:${icon.title}`}
      style={{ background: `${brandColor}22`, width: size, height: size }}
      aria-hidden="true"
    >
      <svg viewBox="0 0 24 24" width={Math.round(size * 0.6)} height={Math.round(size * 0.6)} fill={darken(brandColor)}>
        <path d={icon.svgPath} />
      </svg>
    </span>
  );
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or near-black letters, whichever contrasts more with the tile (Salesforce's light blue needs dark). */
export function readableOn(hex: string): string {
  const l = luminance(hex);
  const onWhite = 1.05 / (l + 0.05);
  const onDark = (l + 0.05) / (luminance('#1c2430') + 0.05);
  return onWhite >= onDark ? '#ffffff' : '#1c2430';
}

/** Very light brand colours (Intercom's cyan) would vanish on white: darken those. */
function darken(hex: string): string {
  const [r, g, b] = channels(hex);
  const perceived = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  if (perceived < 0.6) return hex;
  const f = 0.45;
  return `rgb(${Math.round(r * f)}, ${Math.round(g * f)}, ${Math.round(b * f)})`;
}
