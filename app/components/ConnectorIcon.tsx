interface Props {
  name: string;
  brandColor: string;
  icon: { title: string; svgPath: string } | null;
  size?: number;
}

/** The brand mark from simple-icons on a tinted tile, or a monogram in the brand colour. */
export function ConnectorIcon({ name, brandColor, icon, size = 40 }: Props) {
  if (!icon) {
    return (
      <span className="icon monogram" style={{ background: brandColor, width: size, height: size }} aria-hidden="true">
        {name.charAt(0).toUpperCase()}
      </span>
    );
  }
  return (
    <span className="icon" style={{ background: `${brandColor}22`, width: size, height: size }} aria-hidden="true">
      <svg viewBox="0 0 24 24" role="img" fill={darken(brandColor)}>
        <title>{icon.title}</title>
        <path d={icon.svgPath} />
      </svg>
    </span>
  );
}

/** Very light brand colours (Intercom's cyan) would vanish on white: darken those. */
function darken(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  if (luminance < 0.6) return hex;
  const f = 0.45;
  return `rgb(${Math.round(r * f)}, ${Math.round(g * f)}, ${Math.round(b * f)})`;
}
