/**
 * The stacks pages: all stacks with sync, health, version, revision and endpoints, and one
 * stack with its services, containers per host, endpoints, events and history. Each has a live
 * part (`#live`) that the page refreshes in place. Pure.
 */
import type { Endpoint, StackStatus } from '../status/stack-status.js';
import { type Html, html } from './html.js';
import { badge, breadcrumbs, page, shortRevision, shortTime } from './layout.js';

/** Container ports that speak HTTP (HTTPS for 443 and 8443): their endpoints are links. */
const HTTP_PORTS = new Set([80, 3000, 5000, 8000, 8008, 8080, 8081, 8888, 9000, 9090]);
const HTTPS_PORTS = new Set([443, 8443]);

/** What the pages read of a status; counts and containers appear as the status module provides them. */
interface ServiceView {
  name: string;
  desired: number;
  running: number;
  healthy?: number;
  containers?: { name: string; host: string; state: string; health?: string }[];
}

function servicesOf(status: StackStatus): ServiceView[] {
  return status.services as readonly ServiceView[] as ServiceView[];
}

function endpointText(endpoint: Endpoint): string {
  return `${endpoint.address || endpoint.host}:${endpoint.port}`;
}

/** `http(s)://address:port/` for endpoints of HTTP container ports, else undefined. */
export function endpointUrl(endpoint: Endpoint): string | undefined {
  if (endpoint.protocol !== 'tcp' || !endpoint.address) return undefined;
  const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
  if (HTTPS_PORTS.has(endpoint.containerPort)) return `https://${host}:${endpoint.port}/`;
  if (HTTP_PORTS.has(endpoint.containerPort)) return `http://${host}:${endpoint.port}/`;
  return undefined;
}

function endpointLink(endpoint: Endpoint): Html {
  const url = endpointUrl(endpoint);
  const text = endpointText(endpoint);
  return url ? html`<a href="${url}" rel="noopener noreferrer">${text}</a>` : html`<code>${text}</code>`;
}

export function stackUrl(name: string): string {
  return `/stacks/${encodeURIComponent(name)}`;
}

function counts(statuses: readonly StackStatus[]): string {
  const by = (key: 'sync' | 'health') => {
    const tally = new Map<string, number>();
    for (const s of statuses) tally.set(s[key], (tally.get(s[key]) ?? 0) + 1);
    return [...tally].map(([word, n]) => `${n} ${word}`).join(', ');
  };
  if (statuses.length === 0) return 'No stacks yet.';
  return `${statuses.length} ${statuses.length === 1 ? 'stack' : 'stacks'}: ${by('sync')}; ${by('health')}.`;
}

export function stacksLive(statuses: readonly StackStatus[]): Html {
  const rows = statuses.map((s) => {
    const services = servicesOf(s);
    return html`<tr>
<td data-label="Stack"><a href="${stackUrl(s.name)}">${s.name}</a></td>
<td data-label="Sync">${badge(s.sync, 'sync')}</td>
<td data-label="Health">${badge(s.health, 'health')}</td>
<td data-label="Template">${s.template ?? '—'}${s.version ? html` <span class="muted">${s.version}</span>` : ''}</td>
<td data-label="Revision"><code>${shortRevision(s.revision)}</code></td>
<td data-label="Containers">${services.map((svc) => `${svc.name} ${svc.running}/${svc.desired}`).join(', ') || '—'}</td>
<td data-label="Endpoints">${s.endpoints.length === 0 ? '—' : s.endpoints.map((e, i) => html`${i > 0 ? ', ' : ''}${endpointLink(e)}`)}</td>
<td data-label="Message">${s.message}</td>
</tr>`;
  });
  return html`<p id="summary" data-announce>${counts(statuses)}</p>
<div class="table-wrap" role="region" aria-labelledby="stacks-caption" tabindex="0">
<table class="stack-list"><caption id="stacks-caption" class="sr">Stacks with their sync, health, version, revision, containers and endpoints</caption>
<thead><tr><th scope="col">Stack</th><th scope="col">Sync</th><th scope="col">Health</th><th scope="col">Template</th><th scope="col">Revision</th><th scope="col">Running / desired</th><th scope="col">Endpoints</th><th scope="col">Message</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

export function stacksPage(statuses: readonly StackStatus[]): Html {
  const body = html`<h1>Stacks</h1>
<p>Every stack in the repository, as the daemon sees it now. This page updates by itself.</p>
<p id="announcer" class="sr" aria-live="polite"></p>
<div id="live">${stacksLive(statuses)}</div>`;
  return page({ title: 'Stacks', section: 'stacks', body });
}

export function stackLive(name: string, status: StackStatus | undefined): Html {
  if (!status)
    return html`<p class="notice">No status for <strong>${name}</strong> yet: it is not in the repository's branch, or the daemon
has not read it yet. A requested stack appears here once its merge request is merged.</p>`;
  const history = status.history ?? [];
  return html`<p data-announce><span class="sr">Sync: </span>${badge(status.sync, 'sync')} <span class="sr">Health: </span>${badge(status.health, 'health')} ${status.message}</p>
<dl class="facts">
<dt>Template</dt><dd>${status.template ?? '—'}</dd>
<dt>Version</dt><dd>${status.version ?? '—'}</dd>
<dt>Revision</dt><dd><code>${status.revision ?? '—'}</code></dd>
${status.appliedRevision && status.appliedRevision !== status.revision ? html`<dt>Containers from</dt><dd><code>${status.appliedRevision}</code></dd>` : ''}
${status.lastError ? html`<dt>Last error</dt><dd class="error">${status.lastError}</dd>` : ''}
</dl>
<h2>Services</h2>
${servicesTable(status)}
<h2>Endpoints</h2>
${
  status.endpoints.length === 0
    ? html`<p class="muted">No published ports.</p>`
    : html`<ul>${status.endpoints.map((e) => html`<li>${endpointLink(e)} <span class="muted">→ ${e.service}:${e.containerPort}/${e.protocol} on ${e.host}</span></li>`)}</ul>`
}
${containersByHost(status)}
${
  history.length === 0
    ? ''
    : html`<h2>Upgrades and rollbacks</h2><ul class="plain events">${[...history]
        .reverse()
        .map(
          (h) =>
            html`<li><time datetime="${h.time}">${shortTime(h.time)}</time> ${h.version ?? 'removed'} <code>${shortRevision(h.commit)}</code> ${badge(h.result, 'sync')} ${h.cause}</li>`,
        )}</ul>`
}
<h2>Recent events</h2>
${
  status.events.length === 0
    ? html`<p class="muted">Nothing done yet.</p>`
    : html`<ul class="plain events">${[...status.events].reverse().map((e) => html`<li><time datetime="${e.time}">${shortTime(e.time)}</time> — ${e.message}</li>`)}</ul>`
}`;
}

function servicesTable(status: StackStatus): Html {
  const services = servicesOf(status);
  if (services.length === 0) return html`<p class="muted">No services.</p>`;
  const withHealthy = services.some((s) => s.healthy !== undefined);
  return html`<div class="table-wrap" role="region" aria-label="Services" tabindex="0"><table>
<thead><tr><th scope="col">Service</th><th scope="col" class="num">Desired</th><th scope="col" class="num">Running</th>${withHealthy ? html`<th scope="col" class="num">Healthy</th>` : ''}</tr></thead>
<tbody>${services.map(
    (s) =>
      html`<tr><th scope="row">${s.name}</th><td class="num">${s.desired}</td><td class="num">${s.running}</td>${withHealthy ? html`<td class="num">${s.healthy ?? '—'}</td>` : ''}</tr>`,
  )}</tbody></table></div>`;
}

/** Containers grouped by host: from the status's containers where it lists them, else from the endpoints. */
function containersByHost(status: StackStatus): Html {
  const byHost = new Map<string, Html[]>();
  const add = (host: string, item: Html) => byHost.set(host, [...(byHost.get(host) ?? []), item]);
  const services = servicesOf(status);
  if (services.some((s) => s.containers?.length)) {
    for (const s of services)
      for (const c of s.containers ?? [])
        add(
          c.host,
          html`<li><code>${c.name}</code> ${badge(c.state, 'state')}${c.health ? html` ${badge(c.health, 'container-health')}` : ''}</li>`,
        );
  } else {
    for (const e of status.endpoints) add(e.host, html`<li>${e.service}: ${endpointText(e)}</li>`);
  }
  if (byHost.size === 0) return html``;
  return html`<h2>Containers per host</h2>${[...byHost]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, items]) => html`<h3>${host}</h3><ul class="plain">${items}</ul>`)}`;
}

export function stackPage(name: string, status: StackStatus | undefined): Html {
  const body = html`${breadcrumbs([{ label: 'Stacks', href: '/stacks' }, { label: name }])}
<h1>${name}</h1>
<form id="sync" class="sync" method="post" action="/api/v1/sync?stack=${encodeURIComponent(name)}">
<div><label for="api-token">API token <span class="muted">(if the daemon asks for one)</span></label>
<input type="password" id="api-token" autocomplete="off"></div>
<button type="submit" class="secondary">Sync now</button>
<p id="sync-result" role="status"></p>
</form>
<p id="announcer" class="sr" aria-live="polite"></p>
<div id="live">${stackLive(name, status)}</div>`;
  return page({ title: name, section: 'stacks', body });
}

export function notFoundPage(what: string, back: { href: string; label: string }): Html {
  return page({
    title: 'Not found',
    section: back.href.startsWith('/stacks') ? 'stacks' : 'catalog',
    body: html`<h1>Not found</h1><p>${what}</p><p><a href="${back.href}">${back.label}</a></p>`,
  });
}
