/**
 * A host's `network:` setting: how the containers of a stack on that host reach each other.
 * Pure: the parsed value or a diagnostic.
 *
 *   hosts:
 *     - name: h1
 *       network: overlay   # bridge (default): one bridge network per stack on each host;
 *                          # overlay: one attachable overlay network per stack across the swarm
 */
import { type Diagnostic, error } from '../model/diagnostics.js';

const HOST_NETWORKS = ['bridge', 'overlay'] as const;
export type HostNetwork = (typeof HOST_NETWORKS)[number];

export function parseHostNetwork(
  raw: unknown,
  where: string,
  file: string,
  position: { field: string; line?: number },
  diagnostics: Diagnostic[],
): HostNetwork | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string' && (HOST_NETWORKS as readonly string[]).includes(raw)) return raw as HostNetwork;
  diagnostics.push(
    error(
      file,
      `${where}: expected bridge (a network per stack on this host) or overlay (a network per stack across the hosts' Docker swarm), got ${JSON.stringify(raw)}`,
      position,
    ),
  );
  return undefined;
}
