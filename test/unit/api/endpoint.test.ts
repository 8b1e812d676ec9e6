/** The one parser of API base URLs and ports: what it accepts, how it normalises, what it says otherwise. */
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { apiUrl, parseApiUrl, parsePort } from "../../../src/api/endpoint.js";
import { ConfigError } from "../../../src/errors.js";

describe("parseApiUrl", () => {
  it.each([
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://127.0.0.1:8787/", "http://127.0.0.1:8787"],
    ["http://127.0.0.1:8787/v1", "http://127.0.0.1:8787"],
    ["http://127.0.0.1:8787/v1/", "http://127.0.0.1:8787"],
    [" https://tokens.example.com/tokenform/v1 ", "https://tokens.example.com/tokenform"],
    ["http://[::1]:8787", "http://[::1]:8787"],
    ["HTTPS://Tokens.Example.com", "https://tokens.example.com"],
  ])("accepts %j as %j", (input, url) => {
    expect(parseApiUrl(input)).toEqual({ ok: true, url });
  });

  it.each([
    ["127.0.0.1:8787", "is not a URL: write http://127.0.0.1:8787"],
    ["localhost:8787", "is not a URL: write http://localhost:8787"],
    ["tokens.example.com/v1", "is not a URL: write http://tokens.example.com/v1"],
    ["not a url", "is not a URL: write the token service's address, e.g. http://127.0.0.1:8787"],
    ["", "is empty: write the token service's address, e.g. http://127.0.0.1:8787"],
    [
      "ftp://host",
      "is not an http:// or https:// URL: write the token service's address, e.g. http://127.0.0.1:8787",
    ],
    ["http://user:pw@host", "must not carry credentials: put the admin key in TOKENFORM_API_TOKEN instead"],
    ["http://host/v1?x=1", "must not have a query or fragment: write http://host/v1"],
  ])("refuses %j: %s", (input, problem) => {
    expect(parseApiUrl(input)).toEqual({ ok: false, problem });
  });

  it("names the source in a ConfigError, and the client refuses a bad base URL the same way", () => {
    expect(() => apiUrl("127.0.0.1:8787", "TOKENFORM_API_URL")).toThrow(
      new ConfigError('TOKENFORM_API_URL "127.0.0.1:8787" is not a URL: write http://127.0.0.1:8787'),
    );
    expect(() => new TokenformClient({ baseUrl: "localhost:8787" })).toThrow(ConfigError);
    expect(new TokenformClient({ baseUrl: "http://127.0.0.1:1/v1/" }).baseUrl).toBe("http://127.0.0.1:1");
  });
});

describe("parsePort", () => {
  it.each([
    ["0", 0],
    ["8787", 8787],
    ["65535", 65535],
  ])("accepts %j", (input, port) => {
    expect(parsePort(input)).toEqual({ ok: true, port });
  });
  it.each(["abc", "", "-1", "65536", "1e3", "80.5", "0x50"])("refuses %j", (input) => {
    expect(parsePort(input)).toEqual({ ok: false, problem: "expected a port number from 0 to 65535" });
  });
});
