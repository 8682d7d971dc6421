// What a token grants: read its claims (the server verifies them; the console only decides what to subscribe to).

export function decodeClaims(token, { allowExpired = false } = {}) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("This is not a JWT (expected three dot-separated parts).");
  const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[1].length / 4) * 4, "="));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  if (!claims.sub) throw new Error("The token has no 'sub' claim.");
  if (!allowExpired && claims.exp && claims.exp * 1000 < Date.now()) {
    throw new Error("The token has expired; get a new one.");
  }
  return claims;
}

/** A grant claim as a list: a JSON array, or a comma-joined string as in the authorizer's handlerContext. */
export function grantList(value) {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value) return value.split(",").map((v) => v.trim()).filter(Boolean);
  return [];
}

/** The channels a user's console subscribes to: their own, every granted market (all model lines), every granted plant. */
export function channelsFor(claims) {
  const channels = [`/users/${claims.sub}`];
  const markets = grantList(claims.markets);
  const plants = grantList(claims.plants);
  if (markets.includes("*")) channels.push("/markets/*");
  else for (const m of markets) channels.push(`/markets/${m}/*`);
  if (plants.includes("*")) channels.push("/plants/*");
  else for (const p of plants) channels.push(`/plants/${p}`);
  return channels;
}
