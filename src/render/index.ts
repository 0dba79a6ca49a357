export {
  DEFAULT_CATALOG,
  type DesiredState,
  type DesiredStateOptions,
  type FailedStack,
  findTemplateVersion,
  loadCatalogs,
  loadDesiredState,
} from './desired-state.js';
export { type RenderInput, type RenderResult, renderStack } from './render-stack.js';
