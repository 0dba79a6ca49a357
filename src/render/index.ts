export { loadDesiredState, loadCatalogs, findTemplateVersion, DEFAULT_CATALOG, type DesiredState, type FailedStack } from './desired-state.js';
export { renderStack, type RenderInput, type RenderResult } from './render-stack.js';
