/**
 * Server-Sent Events as they pass through the gateway: a Transform that cuts the byte stream into events
 * (at each blank line) and sends every event on the moment it is complete — a progress notification
 * reaches the client before the result, and a stream is never held whole. An `inspect` callback sees each
 * event's JSON data and may return a replacement message (a filtered `tools/list` result); every other
 * event leaves byte for byte as it came. Hand-written: the parsers on npm (eventsource-parser and the like)
 * read events but cannot write one back out unchanged.
 */

import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** Called with each event's data parsed as JSON; a return value replaces the data, undefined keeps it. */
export type InspectMessage = (message: unknown) => unknown;

/** Largest single event held while it arrives (a tools/list result of a very large server fits easily). */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

const LINE = /\r\n|\r|\n/;

/** Re-serialises an event whose data changed, keeping its other fields (event, id, retry, comments). */
function rewrite(lines: string[], data: string, eol: string): string {
  const out: string[] = [];
  let wrote = false;
  for (const line of lines) {
    if (line === "data" || line.startsWith("data:")) {
      if (!wrote) {
        for (const part of data.split("\n")) out.push(`data: ${part}`);
        wrote = true;
      }
    } else {
      out.push(line);
    }
  }
  return out.join(eol) + eol + eol;
}

/** The data of an event (its `data:` lines joined by newlines), or undefined when it has none. */
function dataOf(lines: string[]): string | undefined {
  let data: string | undefined;
  for (const line of lines) {
    if (line !== "data" && !line.startsWith("data:")) continue;
    let value = line === "data" ? "" : line.slice(5);
    if (value.startsWith(" ")) value = value.slice(1);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** A Transform over an SSE byte stream that passes events on as they complete. */
export class SseEventStream extends Transform {
  readonly #decoder = new StringDecoder("utf8");
  readonly #inspect: InspectMessage;
  #pending = "";

  constructor(inspect: InspectMessage) {
    super();
    this.#inspect = inspect;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#pending += this.#decoder.write(chunk);
    try {
      this.#drain(false);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (this.#pending.length > MAX_EVENT_BYTES) {
      done(new Error(`an SSE event exceeded ${MAX_EVENT_BYTES} bytes`));
      return;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#pending += this.#decoder.end();
    this.#drain(true);
    if (this.#pending !== "") this.push(this.#pending);
    this.#pending = "";
    done();
  }

  /** Emits every complete event held (an event ends with a blank line). */
  #drain(final: boolean): void {
    for (;;) {
      const end = findEventEnd(this.#pending, final);
      if (end === undefined) return;
      const raw = this.#pending.slice(0, end.index);
      this.#pending = this.#pending.slice(end.index);
      this.push(this.#event(raw, end.eol));
    }
  }

  #event(raw: string, eol: string): string {
    const lines = raw.split(LINE);
    // `raw` ends with the blank line: drop the two empty strings it splits into.
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    const data = dataOf(lines);
    if (data === undefined || data === "") return raw;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return raw;
    }
    const replaced = this.#inspect(message);
    return replaced === undefined ? raw : rewrite(lines, JSON.stringify(replaced), eol);
  }
}

/** Where the first complete event in `text` ends (just after its blank line), with the line ending used. */
function findEventEnd(text: string, final: boolean): { index: number; eol: string } | undefined {
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 10 && ch !== 13) continue;
    // A CR at the very end may be the first half of a CRLF still to come.
    if (ch === 13 && i === text.length - 1 && !final) return undefined;
    const eolLength = ch === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    if (i === lineStart) return { index: i + eolLength, eol: text.slice(i, i + eolLength) };
    i += eolLength - 1;
    lineStart = i + 1;
  }
  return undefined;
}
