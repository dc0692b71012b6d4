/** The "admin" settings section is declared with the others in config/schema.ts. */
export { ADMIN_SETTINGS } from '../../config/schema.js';
