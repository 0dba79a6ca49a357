/**
 * The operators' policy: which Docker features a rendered container may use. It lives in the
 * controller's config (operator-owned), never in the repository that requesters edit.
 * Plain data; parsed by src/config/policy.ts, applied by ./check.ts.
 */

/** Grants, each unlocking one group of Docker features that reach beyond the container. */
export const GRANTS = [
  'privileged',
  'capabilities',
  'host_network',
  'host_pid',
  'host_ipc',
  'host_uts',
  'host_userns',
  'devices',
  'security_opt',
  'cgroup_parent',
  'sysctls',
  'shared_namespaces',
  'external_volumes',
] as const;
export type Grant = (typeof GRANTS)[number];

/** Extra grants for the stacks of one template. */
export interface TemplateGrants {
  allow: Grant[];
  /** Host path prefixes (cleaned, absolute) its bind mounts may use, besides the global ones. */
  bindMounts: string[];
}

export interface Policy {
  /** Grants for every stack. */
  allow: Grant[];
  /** Host path prefixes (cleaned, absolute) a bind mount may use; none by default. */
  bindMounts: string[];
  /** Registries (optionally with a path prefix) images may come from; empty means any. */
  registries: string[];
  /** The largest scale of one service. */
  maxScale: number;
  /** Grants by template, keyed `<catalog>:<template>` (a bare id in the config means the `library` catalog). */
  templates: Record<string, TemplateGrants>;
  /** `allow`: password answers may be written in plain text (src/secrets); `deny` by default. */
  plaintextSecrets: 'allow' | 'deny';
}

const DEFAULT_MAX_SCALE = 20;

/** With no `policy:` section: nothing in GRANTS, no bind mounts, any registry, scale up to 20. */
export const DEFAULT_POLICY: Policy = Object.freeze({
  allow: [],
  bindMounts: [],
  registries: [],
  maxScale: DEFAULT_MAX_SCALE,
  templates: {},
  plaintextSecrets: 'deny',
}) as Policy;

/** The key of a template's grants: `<catalog>:<template>`. */
export function templateKey(catalog: string, template: string): string {
  return `${catalog}:${template}`;
}
