/**
 * The in-process ChangeFeed. It lives in store/ (a store backend needs a default feed and store/
 * must not import mailbox/); this is the name the rest of the program uses. A cross-process feed
 * (PostgreSQL LISTEN/NOTIFY) will implement the same ChangeFeed interface.
 */
export { LocalChangeFeed } from '../store/local-feed.js';
