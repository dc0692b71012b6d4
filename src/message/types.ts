/**
 * What the MIME indexer extracts from a message once, at ingest. IMAP FETCH (ENVELOPE,
 * BODYSTRUCTURE, BODY[section]), POP3 TOP and SEARCH are all served from this plus the raw
 * bytes, never by parsing the message again.
 *
 * All offsets are byte offsets into the raw message as stored (which is exactly what the
 * client or MTA sent). Strings in Envelope and BodyPart are the raw header values (RFC 3501
 * returns them undecoded); decoded text lives in SearchDoc.
 */

/** One address of an ENVELOPE address list (RFC 3501 §7.4.2). A group start has host=null
 * and mailbox=group name; a group end has both null. */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null; // defaults to from, as the RFC requires
  replyTo: EnvelopeAddress[] | null; // defaults to from
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

export interface Disposition {
  type: string;
  params: [string, string][];
}

/** A node of the MIME tree, with everything BODYSTRUCTURE (including extension data) needs. */
export interface BodyPart {
  /** Media type and subtype as written (defaults "text"/"plain"); the IMAP encoder uppercases. */
  type: string;
  subtype: string;
  /** Content-Type parameters in order, names lowercased, values as written (quotes removed). */
  params: [string, string][];
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, default "7bit". */
  encoding: string;
  /** Body size in octets (bodyEnd - bodyStart). */
  size: number;
  /** Number of lines of the body: for text/* and message/rfc822 parts. */
  lines: number;
  md5: string | null;
  disposition: Disposition | null;
  language: string[] | null;
  location: string | null;
  /** Byte offsets: the part's header block [headerStart, bodyStart) and body [bodyStart, bodyEnd). */
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** For multipart/*: the children (never empty: a multipart with no parts gets one empty text/plain). */
  parts?: BodyPart[];
  /** For message/rfc822 (and message/global): the encapsulated message's envelope and root part. */
  envelope?: Envelope;
  message?: BodyPart;
}

/** Decoded text that SEARCH matches against (RFC 2047 and charsets decoded to UTF-8). */
export interface SearchDoc {
  /** Header fields of the top-level message, names lowercased, values unfolded and decoded. */
  headers: [string, string][];
  /** Decoded text of the text/* parts (and text of nested messages), capped (see indexer limits). */
  body: string;
}

export interface ParsedMessage {
  /** RFC822.SIZE: octets of the raw message. */
  size: number;
  envelope: Envelope;
  /** The root part; its headerStart is 0 and bodyStart is the end of the message header. */
  root: BodyPart;
  /** The Date: header parsed (for SENTBEFORE etc.), or null when absent or unparsable. */
  sentDate: Date | null;
  search: SearchDoc;
  /** Notes about what was broken and how it was interpreted (for logs, never refused). */
  problems: string[];
}
