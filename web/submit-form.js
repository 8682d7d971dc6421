// The submit form: choices from catalog.json narrowed to what can be built together, prefilled with a
// buildable example for the analyst's first market, and the request body POST /configurations/validate expects.

const NO_MARKETS = "Your token grants no market, so there is nothing you can submit.";

function fill(select, entries, selected) {
  const previous = selected ?? select.value;
  select.replaceChildren(
    ...entries.map(([code, name]) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = name ? `${code} \u2014 ${name}` : code;
      return option;
    }),
  );
  if (entries.some(([code]) => code === previous)) select.value = previous;
}

export function newConfigurationId(market, modelLine) {
  const suffix = Math.random().toString(36).slice(2, 8);
  return `cfg-${modelLine}-${market}-${suffix}`.toLowerCase();
}

export class SubmitForm {
  constructor(form, catalog) {
    this.form = form;
    this.catalog = catalog;
    this.markets = [];
    const el = form.elements;
    el.market.addEventListener("change", () => this.applyPreset(el.market.value));
    el.modelLine.addEventListener("change", () => this.narrow());
    el.powertrain.addEventListener("change", () => this.narrowPlants());
  }

  /** Offer the markets `grants` allows (a "*" grant: every catalog market) and prefill the first one. */
  setGrants(grants) {
    const all = Object.keys(this.catalog.markets);
    this.markets = grants.includes("*") ? all : all.filter((m) => grants.includes(m));
    fill(this.form.elements.market, this.markets.map((m) => [m, this.catalog.markets[m]]), this.markets[0] || "");
    for (const control of this.form.elements) control.disabled = this.markets.length === 0;
    if (this.markets.length) this.applyPreset(this.markets[0]);
    return this.markets.length ? "" : NO_MARKETS;
  }

  applyPreset(market) {
    const el = this.form.elements;
    const preset = this.catalog.presets[market];
    el.market.value = market;
    this.narrow(preset);
    if (preset) {
      el.options.value = preset.options.join(", ");
      el.configurationId.value = newConfigurationId(market, preset.modelLine);
    }
  }

  narrow(preset) {
    const el = this.form.elements;
    const market = el.market.value;
    const lines = Object.entries(this.catalog.modelLines).filter(([, line]) => line.markets.includes(market));
    fill(el.modelLine, lines.map(([code, line]) => [code, line.name]), preset && preset.modelLine);
    const line = this.catalog.modelLines[el.modelLine.value];
    if (!line) return;
    fill(el.trim, line.trims.map((t) => [t, this.catalog.trims[t]]), preset && preset.trim);
    fill(el.powertrain, line.powertrains.map((p) => [p, this.catalog.powertrains[p]]), preset && preset.powertrain);
    this.narrowPlants(preset);
  }

  narrowPlants(preset) {
    const el = this.form.elements;
    const plants = Object.entries(this.catalog.plants).filter(
      ([, plant]) => plant.modelLines.includes(el.modelLine.value) && plant.powertrains.includes(el.powertrain.value),
    );
    fill(el.plant, plants.map(([code, plant]) => [code, plant.name]), preset && preset.plant);
  }

  /** The JSON body of POST /configurations/validate (submittedBy comes from the token, not the body). */
  body() {
    const el = this.form.elements;
    return {
      configurationId: el.configurationId.value.trim(),
      market: el.market.value,
      modelLine: el.modelLine.value,
      trim: el.trim.value,
      powertrain: el.powertrain.value,
      plant: el.plant.value,
      options: el.options.value.split(/[\s,]+/).map((o) => o.trim().toUpperCase()).filter(Boolean),
      priority: el.priority.value,
    };
  }

  /** A message saying what to fix, or "" when the form can be sent. */
  problem() {
    const el = this.form.elements;
    if (!this.markets.length) return NO_MARKETS;
    if (!el.configurationId.value.trim()) return "Enter a configuration id.";
    if (!el.configurationId.checkValidity()) return "The configuration id may only use letters, digits and . _ : -";
    if (!el.plant.value) return "No plant builds this model line with this powertrain; choose another powertrain.";
    return "";
  }
}
