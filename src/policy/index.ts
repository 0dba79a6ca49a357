export { checkStackPolicy, type FirstUnitSpec, firstUnitSpecs, normalizedReference, type PolicyViolation } from './check.js';
export { DEFAULT_POLICY, GRANTS, type Grant, type Policy, type TemplateGrants, templateKey } from './types.js';
