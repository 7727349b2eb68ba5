export { RULES_ENGINE_NAME, createRulesEngine, runRules } from './rules-engine.js';
