// `configspec plan --svg`: goodput against K, one line per (draft, quantisation), one panel per device class, the
// chosen point marked. Plain SVG text (no plotting library: the picture is a handful of lines and labels). Pure.
import type { Configuration, Quantization } from '../api/types.js';

export interface CurvePoint {
  k: number;
  goodputTokensPerSecond: number;
  feasible: boolean;
}

export interface PanelCurve {
  draft: string;
  quantization: Quantization;
  points: readonly CurvePoint[];
}

export interface PlotPanel {
  /** e.g. "default/qwen-chat · raspberry-pi-5" */
  title: string;
  curves: readonly PanelCurve[];
  selected?: Configuration;
}

const PANEL_WIDTH = 700;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 56, right: 250, top: 30, bottom: 40 };
// A palette that stays distinguishable for the common colour-vision deficiencies (Okabe–Ito).
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const round = (value: number) => Math.round(value * 10) / 10;

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

function panelSvg(panel: PlotPanel, offsetY: number): string[] {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const ks = panel.curves.flatMap((curve) => curve.points.map((p) => p.k));
  const kMin = ks.length > 0 ? Math.min(...ks) : 0;
  const kMax = ks.length > 0 ? Math.max(...ks, kMin + 1) : 1;
  const finiteGoodput = panel.curves.flatMap((c) =>
    c.points.map((p) => p.goodputTokensPerSecond).filter((g) => Number.isFinite(g)),
  );
  const yMax = niceCeiling(Math.max(0, ...finiteGoodput));
  const x = (k: number) => MARGIN.left + ((k - kMin) / (kMax - kMin)) * plotWidth;
  const y = (goodput: number) => offsetY + MARGIN.top + plotHeight - (Math.min(goodput, yMax) / yMax) * plotHeight;

  const out: string[] = [];
  out.push(`<text x="${MARGIN.left}" y="${offsetY + 18}" font-weight="bold">${escapeXml(panel.title)}</text>`);
  // Axes, ticks and grid.
  const bottom = offsetY + MARGIN.top + plotHeight;
  out.push(
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotWidth}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${offsetY + MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#333"/>`,
  );
  const kStep = Math.max(1, Math.ceil((kMax - kMin) / 10));
  for (let k = kMin; k <= kMax; k += kStep)
    out.push(`<text x="${round(x(k))}" y="${bottom + 16}" text-anchor="middle">${k}</text>`);
  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    out.push(
      `<line x1="${MARGIN.left}" y1="${round(y(value))}" x2="${MARGIN.left + plotWidth}" y2="${round(y(value))}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${round(y(value)) + 4}" text-anchor="end">${Number(value.toPrecision(3))}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${bottom + 32}" text-anchor="middle">K (draft tokens per round)</text>`,
    `<text transform="translate(14 ${offsetY + MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">goodput (tokens/s)</text>`,
  );
  // One line per (draft, quantisation); infeasible points hollow.
  panel.curves.forEach((curve, index) => {
    const colour = COLOURS[index % COLOURS.length]!;
    const dash = DASHES[Math.floor(index / COLOURS.length) % DASHES.length]!;
    const points = curve.points.filter((p) => Number.isFinite(p.goodputTokensPerSecond));
    const path = points.map((p) => `${round(x(p.k))},${round(y(p.goodputTokensPerSecond))}`).join(' ');
    out.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${path}"/>`,
    );
    for (const p of points)
      out.push(
        `<circle cx="${round(x(p.k))}" cy="${round(y(p.goodputTokensPerSecond))}" r="2.5" stroke="${colour}" fill="${p.feasible ? colour : 'white'}"/>`,
      );
    const legendY = offsetY + MARGIN.top + 14 * index;
    const legendX = MARGIN.left + plotWidth + 14;
    out.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 18}" y2="${legendY}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${legendX + 24}" y="${legendY + 4}">${escapeXml(`${curve.draft} ${curve.quantization}`)}</text>`,
    );
  });
  // The chosen configuration.
  const selected = panel.selected;
  const chosenCurve = selected
    ? panel.curves.find((c) => c.draft === selected.draft && c.quantization === selected.quantization)
    : undefined;
  const chosen = chosenCurve?.points.find((p) => p.k === selected?.k);
  if (selected && chosen && Number.isFinite(chosen.goodputTokensPerSecond)) {
    const cx = round(x(chosen.k));
    const cy = round(y(chosen.goodputTokensPerSecond));
    out.push(
      `<circle cx="${cx}" cy="${cy}" r="7" fill="none" stroke="#c00" stroke-width="2"><title>selected</title></circle>`,
      `<text x="${cx + 9}" y="${cy - 9}" fill="#c00">selected K=${selected.k}</text>`,
    );
  }
  return out;
}

/** One SVG document with a panel per class, stacked. */
export function renderPlanSvg(panels: readonly PlotPanel[]): string {
  const height = Math.max(1, panels.length) * PANEL_HEIGHT;
  const body = panels.flatMap((panel, index) => panelSvg(panel, index * PANEL_HEIGHT));
  if (panels.length === 0) body.push('<text x="20" y="40">no device class was planned</text>');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${height}" viewBox="0 0 ${PANEL_WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
