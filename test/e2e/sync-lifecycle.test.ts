/** corral sync's core cases on the fleet, corral reaching the hosts by their unix sockets (./lifecycle-cases.ts). */
import { lifecycleCases } from './lifecycle-cases.js';

lifecycleCases('unix');
