/**
 * The frame of every page (head, navigation, main landmark) and small shared pieces: status
 * badges, short revisions, times. Pure.
 */
import { type Html, html } from './html.js';

export type Section = 'catalog' | 'stacks';

export interface PageInput {
  title: string;
  section: Section;
  body: Html;
}

export function page(input: PageInput): Html {
  const navLink = (href: string, label: string, section: Section) =>
    html`<li><a href="${href}"${input.section === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · corral</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<nav aria-label="Main">
<a class="brand" href="/">corral</a>
<ul>${navLink('/catalog', 'App store', 'catalog')}${navLink('/stacks', 'Stacks', 'stacks')}</ul>
</nav>
</header>
<main id="main" tabindex="-1">
${input.body}
</main>
</body>
</html>
`;
}

const BADGE_TONE: Record<string, string> = {
  Synced: 'good',
  Healthy: 'good',
  healthy: 'good',
  running: 'good',
  OutOfSync: 'warn',
  Progressing: 'warn',
  Initializing: 'warn',
  Degraded: 'warn',
  starting: 'warn',
  RolledBack: 'warn',
  Failed: 'bad',
  Unhealthy: 'bad',
  unhealthy: 'bad',
  exited: 'bad',
};

/** A status word as a badge: the word is the content, the colour only repeats it. */
export function badge(word: string, kind: string): Html {
  return html`<span class="badge ${BADGE_TONE[word] ?? 'neutral'}" data-kind="${kind}">${word}</span>`;
}

export function shortRevision(revision: string | undefined): string {
  return revision ? revision.slice(0, 8) : '—';
}

/** `2024-05-01 12:03:04 UTC` from an ISO time. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** Breadcrumbs: every item a link but the last. */
export function breadcrumbs(items: { label: string; href?: string }[]): Html {
  return html`<nav aria-label="Breadcrumb" class="crumbs"><ol>${items.map((item) =>
    item.href ? html`<li><a href="${item.href}">${item.label}</a></li>` : html`<li aria-current="page">${item.label}</li>`,
  )}</ol></nav>`;
}
