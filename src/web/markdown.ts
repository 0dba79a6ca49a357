/**
 * READMEs as safe HTML: markdown-it with raw HTML disabled (it is shown as text), links only
 * to http(s), mailto and in-page anchors, and every link opened without the page's referrer.
 * Pure; renders of the same text are cached.
 */
import MarkdownIt from 'markdown-it';
import { type Html, trusted } from './html.js';

const CACHE_LIMIT = 200;
const SAFE_LINK = /^(https?:|mailto:|#)/i;

const renderer = new MarkdownIt({ html: false, linkify: true, typographer: false });
renderer.validateLink = (url: string) => SAFE_LINK.test(url.trim());
const defaultLinkOpen = renderer.renderer.rules['link_open'];
renderer.renderer.rules['link_open'] = (tokens, index, options, env, self) => {
  const token = tokens[index];
  if (token && !String(token.attrGet('href') ?? '').startsWith('#')) token.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen ? defaultLinkOpen(tokens, index, options, env, self) : self.renderToken(tokens, index, options);
};
// Images in READMEs point at files the daemon does not serve, or at other sites: show their text instead.
renderer.renderer.rules['image'] = (tokens, index) => renderer.utils.escapeHtml(tokens[index]?.content ?? '');

const cache = new Map<string, Html>();

export function renderMarkdown(text: string): Html {
  const cached = cache.get(text);
  if (cached) return cached;
  const rendered = trusted(renderer.render(text));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, rendered);
  return rendered;
}
