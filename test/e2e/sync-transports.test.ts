/**
 * corral sync's core cases (./lifecycle-cases.ts: create, scale, self-heal, replace, prune)
 * with corral reaching every host over TCP+TLS (corral-tls.yml) and over ssh (corral-ssh.yml).
 */
import { lifecycleCases } from './lifecycle-cases.js';

lifecycleCases('tls');
lifecycleCases('ssh');
