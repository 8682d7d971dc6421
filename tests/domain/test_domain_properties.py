"""Properties of the rules engine over the shipped catalog, checked against a set-based oracle."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from vehicle_config.catalog import Catalog, default_catalog
from vehicle_config.model import Configuration
from vehicle_config.rules import VALID, validate

CATALOG = default_catalog()
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Context:
    market: str
    model_line: str
    trim: str
    powertrain: str
    plant: str


def available(catalog: Catalog, ctx: Context, code: str) -> bool:
    """Restates the catalog's availability fields, independently of the engine."""
    o = catalog.options[code]
    kind = catalog.powertrains[ctx.powertrain].kind
    capabilities = catalog.plants[ctx.plant].capabilities
    return (
        (o.model_lines is None or ctx.model_line in o.model_lines)
        and (o.trims is None or ctx.trim in o.trims)
        and (o.powertrain_kinds is None or kind in o.powertrain_kinds)
        and (o.markets is None or ctx.market in o.markets)
        and (o.plant_capability is None or o.plant_capability in capabilities)
        and not o.discontinuing
    )


def effective(catalog: Catalog, ctx: Context, chosen: list[str]) -> set[str]:
    groups = {catalog.options[c].group for c in chosen} - {None}
    standard = catalog.trims[ctx.trim].standard_options
    return set(chosen) | {s for s in standard if catalog.options[s].group not in groups}


def compatible(catalog: Catalog, ctx: Context, chosen: list[str]) -> bool:
    if any(b in catalog.options[a].excludes for i, a in enumerate(chosen) for b in chosen[i + 1 :]):
        return False
    fitted = effective(catalog, ctx, chosen)
    return all(r in fitted for c in chosen for r in catalog.options[c].requires)


def with_requirements(catalog: Catalog, ctx: Context, chosen: list[str], code: str) -> list[str] | None:
    """`chosen` plus `code` and what it needs, if that stays compatible and uses selectable options only."""
    standard = set(catalog.trims[ctx.trim].standard_options)
    result = [*chosen]
    pending = [code]
    while pending:
        option = pending.pop()
        if option in result:
            continue
        if option in standard or not available(catalog, ctx, option):
            return None
        result.append(option)
        fitted = effective(catalog, ctx, result)
        pending.extend(r for r in catalog.options[option].requires if r not in fitted)
    return result if compatible(catalog, ctx, result) else None


@st.composite
def contexts(draw: st.DrawFn) -> Context:
    market = draw(st.sampled_from(sorted(CATALOG.markets)))
    lines = sorted(code for code, line in CATALOG.model_lines.items() if market in line.markets)
    model_line = draw(st.sampled_from(lines))
    line = CATALOG.model_lines[model_line]
    trim = draw(st.sampled_from(line.trims))
    powertrains = [p for p in line.powertrains if market in (CATALOG.powertrains[p].markets or {market})]
    powertrain = draw(st.sampled_from(powertrains))
    plants = sorted(
        p.code for p in CATALOG.plants.values() if model_line in p.model_lines and powertrain in p.powertrains
    )
    assume(plants)
    return Context(market, model_line, trim, powertrain, draw(st.sampled_from(plants)))


@st.composite
def buildable(draw: st.DrawFn, *, needs_requirement: bool = False) -> tuple[Context, list[str]]:
    """A context and options drawn from compatible choices only (optionally seeded with one that requires)."""
    ctx = draw(contexts())
    standard = set(CATALOG.trims[ctx.trim].standard_options)
    candidates = [c for c in sorted(CATALOG.options) if available(CATALOG, ctx, c) and c not in standard]
    chosen: list[str] = []
    if needs_requirement:
        seeds = [
            c for c in candidates if CATALOG.options[c].requires and with_requirements(CATALOG, ctx, [], c)
        ]
        assume(seeds)
        chosen = with_requirements(CATALOG, ctx, [], draw(st.sampled_from(seeds))) or []
    for code in draw(st.lists(st.sampled_from(candidates), max_size=12)) if candidates else []:
        extended = with_requirements(CATALOG, ctx, chosen, code)
        if extended is not None:
            chosen = extended
    return ctx, draw(st.permutations(chosen))


def to_configuration(ctx: Context, options: list[str]) -> Configuration:
    return Configuration(
        configuration_id="cfg-prop",
        market=ctx.market,
        model_line=ctx.model_line,
        trim=ctx.trim,
        powertrain=ctx.powertrain,
        plant=ctx.plant,
        options=tuple(options),
    )


@PROPERTY_SETTINGS
@given(buildable())
def test_configuration_of_compatible_options_validates_clean(case: tuple[Context, list[str]]) -> None:
    ctx, options = case
    result = validate(to_configuration(ctx, options))
    assert result.outcome == VALID, result.to_dict()
    assert result.recommendations == ()


@PROPERTY_SETTINGS
@given(buildable(needs_requirement=True), st.data())
def test_removing_a_required_option_yields_a_violation_naming_it(
    case: tuple[Context, list[str]], data: st.DataObject
) -> None:
    ctx, options = case
    required = sorted({r for o in options for r in CATALOG.options[o].requires if r in options})
    assume(required)
    removed = data.draw(st.sampled_from(required))
    result = validate(to_configuration(ctx, [o for o in options if o != removed]))
    missing = [v for v in result.violations if v.code == "OPTION_REQUIRES_MISSING"]
    assert any(v.related_option == removed and removed in v.message for v in missing), result.to_dict()


@PROPERTY_SETTINGS
@given(buildable())
def test_clean_outcome_does_not_depend_on_option_order(case: tuple[Context, list[str]]) -> None:
    ctx, options = case
    assert (
        validate(to_configuration(ctx, options)).outcome
        == validate(to_configuration(ctx, options[::-1])).outcome
    )


def test_generator_produces_configurations_with_options() -> None:
    # guard against a vacuous property: the strategy must reach non-trivial option sets
    sizes: list[int] = []

    @settings(max_examples=60, deadline=None)
    @given(buildable())
    def collect(case: tuple[Context, list[str]]) -> None:
        sizes.append(len(case[1]))

    collect()
    assert max(sizes) >= 5
