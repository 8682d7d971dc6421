"""Buildability rules: check a configuration against the catalog and say what is wrong and how to fix it.

Violations make a configuration unbuildable, warnings do not. Each finding that has a fix comes with a
recommendation (ADD_OPTION, REMOVE_OPTION or REPLACE_OPTION); a replacement is only proposed when the
alternative is itself buildable in the configuration's context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from vehicle_config.catalog import Catalog, OptionSpec, default_catalog
from vehicle_config.json_fields import json_fields
from vehicle_config.model import Configuration

NO_OPTION = "NONE"  # fromOption of an ADD, toOption of a REMOVE: every detail field stays a non-empty scalar

VALID, VALID_WITH_WARNINGS, INVALID = "VALID", "VALID_WITH_WARNINGS", "INVALID"
ADD_OPTION, REMOVE_OPTION, REPLACE_OPTION = "ADD_OPTION", "REMOVE_OPTION", "REPLACE_OPTION"
OUTCOMES = (VALID, VALID_WITH_WARNINGS, INVALID)
ACTIONS = (ADD_OPTION, REMOVE_OPTION, REPLACE_OPTION)


@dataclass(frozen=True)
class Finding:
    """A violation or warning: a rule code, a human message and the field/options it is about."""

    code: str
    message: str
    field: str
    option: str | None = None
    related_option: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "field": self.field, "message": self.message}
        if self.option is not None:
            out["option"] = self.option
        if self.related_option is not None:
            out["relatedOption"] = self.related_option
        return out


@dataclass(frozen=True)
class Recommendation:
    recommendation_id: str
    action: str
    from_option: str
    to_option: str
    reason_code: str

    def to_dict(self) -> dict[str, str]:
        return json_fields(self)


@dataclass(frozen=True)
class ValidationResult:
    configuration_id: str
    violations: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    recommendations: tuple[Recommendation, ...]

    @property
    def outcome(self) -> str:
        if self.violations:
            return INVALID
        return VALID_WITH_WARNINGS if self.warnings else VALID

    def to_dict(self) -> dict[str, object]:
        return {
            "configurationId": self.configuration_id,
            "outcome": self.outcome,
            "violations": [v.to_dict() for v in self.violations],
            "warnings": [w.to_dict() for w in self.warnings],
            "recommendations": [r.to_dict() for r in self.recommendations],
        }


def validate(configuration: Configuration, catalog: Catalog | None = None) -> ValidationResult:
    """Run every buildability rule over `configuration`."""
    return _Validation(configuration, catalog or default_catalog()).run()


@dataclass
class _Validation:
    config: Configuration
    catalog: Catalog
    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    recommendations: dict[tuple[str, str, str], Recommendation] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)  # known options, first occurrence, in submitted order
    # options already given a fix, so that later rules do not propose a second, conflicting one
    fixed: set[str] = field(default_factory=set)

    def run(self) -> ValidationResult:
        context_ok = self._check_context()
        self._check_options(context_ok)
        self._check_exclusions()
        self._check_requirements(context_ok)
        return ValidationResult(
            self.config.configuration_id,
            tuple(self.violations),
            tuple(self.warnings),
            tuple(self.recommendations.values()),
        )

    # --- context: market, model line, trim, powertrain, plant ---------------------------------------------

    def _check_context(self) -> bool:
        c, cat = self.config, self.catalog
        if c.market not in cat.markets:
            self._violate("UNKNOWN_MARKET", "market", f"market {c.market} is not in the catalog")
        model_line = cat.model_lines.get(c.model_line)
        if model_line is None:
            self._violate(
                "UNKNOWN_MODEL_LINE", "modelLine", f"model line {c.model_line} is not in the catalog"
            )
        else:
            if c.market in cat.markets and c.market not in model_line.markets:
                self._violate(
                    "MODEL_LINE_NOT_SOLD_IN_MARKET", "modelLine", f"{c.model_line} is not sold in {c.market}"
                )
            if c.trim not in model_line.trims:
                offered = ", ".join(model_line.trims)
                self._violate("TRIM_NOT_OFFERED", "trim", f"{c.model_line} has no trim {c.trim} ({offered})")
            if c.powertrain not in model_line.powertrains:
                offered = ", ".join(model_line.powertrains)
                self._violate(
                    "POWERTRAIN_NOT_OFFERED",
                    "powertrain",
                    f"{c.model_line} has no {c.powertrain} ({offered})",
                )
        powertrain = cat.powertrains.get(c.powertrain)
        if powertrain is not None and powertrain.markets is not None and c.market not in powertrain.markets:
            self._violate(
                "POWERTRAIN_NOT_SOLD_IN_MARKET", "powertrain", f"{c.powertrain} is not sold in {c.market}"
            )
        plant = cat.plants.get(c.plant)
        if plant is None:
            self._violate("UNKNOWN_PLANT", "plant", f"plant {c.plant} is not in the catalog")
        else:
            if model_line is not None and c.model_line not in plant.model_lines:
                self._violate(
                    "PLANT_CANNOT_BUILD_MODEL_LINE", "plant", f"plant {c.plant} does not build {c.model_line}"
                )
            if powertrain is not None and c.powertrain not in plant.powertrains:
                self._violate(
                    "PLANT_CANNOT_BUILD_POWERTRAIN", "plant", f"plant {c.plant} does not build {c.powertrain}"
                )
        # Option availability is judged against model line, trim and powertrain, so they must be known.
        return model_line is not None and c.trim in model_line.trims and powertrain is not None

    # --- single options: known, available, discontinuing, redundant ----------------------------------------

    def _check_options(self, context_ok: bool) -> None:
        seen: set[str] = set()
        standard = set(self._active_standard(self.config.options))
        for index, code in enumerate(self.config.options):
            where = f"options[{index}]"
            if code in seen:
                self._warn("DUPLICATE_OPTION", where, f"{code} is listed more than once", code)
                continue
            seen.add(code)
            spec = self.catalog.options.get(code)
            if spec is None:
                self._violate("UNKNOWN_OPTION", where, f"option {code} is not in the catalog", code)
                self._recommend(REMOVE_OPTION, code, NO_OPTION, "UNKNOWN_OPTION")
                continue
            self.selected.append(code)
            if not context_ok:
                continue
            reason = self.unavailability(spec)
            if reason is not None:
                rule, message = reason
                self._violate(rule, where, message, code)
                self._replace_or_remove(code, rule)
            elif spec.discontinuing:
                self._warn("OPTION_DISCONTINUING", where, f"{code} is being discontinued", code)
                self._replace_or_remove(code, "OPTION_DISCONTINUING", remove_if_no_alternative=False)
            elif code in standard:
                self._warn(
                    "OPTION_STANDARD_IN_TRIM", where, f"{code} is standard on {self.config.trim}", code
                )
                self._recommend(REMOVE_OPTION, code, NO_OPTION, "OPTION_STANDARD_IN_TRIM")

    def unavailability(self, spec: OptionSpec) -> tuple[str, str] | None:
        """Why `spec` cannot be fitted in this configuration's context, or None when it can."""
        c, cat = self.config, self.catalog
        if spec.model_lines is not None and c.model_line not in spec.model_lines:
            return "OPTION_NOT_AVAILABLE_FOR_MODEL_LINE", f"{spec.code} is not offered on {c.model_line}"
        if spec.trims is not None and c.trim not in spec.trims:
            return "OPTION_NOT_AVAILABLE_FOR_TRIM", f"{spec.code} is not offered on trim {c.trim}"
        kind = cat.powertrains[c.powertrain].kind
        if spec.powertrain_kinds is not None and kind not in spec.powertrain_kinds:
            return "OPTION_NOT_AVAILABLE_FOR_POWERTRAIN", f"{spec.code} is not offered with {c.powertrain}"
        if spec.markets is not None and c.market not in spec.markets:
            return "OPTION_NOT_SOLD_IN_MARKET", f"{spec.code} is not sold in {c.market}"
        plant = cat.plants.get(c.plant)
        needed = spec.plant_capability
        if needed is not None and plant is not None and needed not in plant.capabilities:
            return "PLANT_CANNOT_FIT_OPTION", f"plant {c.plant} cannot fit {spec.code} (needs {needed})"
        return None

    # --- relations between options ----------------------------------------------------------------------

    def _check_exclusions(self) -> None:
        for i, first in enumerate(self.selected):
            excluded = self.catalog.options[first].excludes
            for second in self.selected[i + 1 :]:
                if second in excluded:
                    where = f"options[{self.config.options.index(second)}]"
                    self._violate(
                        "OPTION_EXCLUDED", where, f"{second} cannot be combined with {first}", second, first
                    )
                    self._replace_or_remove(second, "OPTION_CONFLICT")

    def _check_requirements(self, context_ok: bool) -> None:
        effective = set(self.selected) | set(self._active_standard(self.selected))
        for code in self.selected:
            for required in self.catalog.options[code].requires:
                if required in effective:
                    continue
                where = f"options[{self.config.options.index(code)}]"
                self._violate("OPTION_REQUIRES_MISSING", where, f"{code} requires {required}", code, required)
                if code in self.fixed:
                    continue
                missing = self._missing_closure(required, effective) if context_ok else None
                if missing is None:
                    self._recommend(REMOVE_OPTION, code, NO_OPTION, "REQUIRED_OPTION_UNAVAILABLE")
                    continue
                for option in missing:
                    conflicting = [s for s in self.selected if s in self.catalog.options[option].excludes]
                    if conflicting:
                        self._recommend(REPLACE_OPTION, conflicting[0], option, "REQUIRED_OPTION_MISSING")
                    else:
                        self._recommend(ADD_OPTION, NO_OPTION, option, "REQUIRED_OPTION_MISSING")

    def _missing_closure(self, required: str, effective: set[str]) -> list[str] | None:
        """`required` plus what it requires in turn, not yet fitted; None if any of them is unavailable."""
        missing: list[str] = []
        pending = [required]
        while pending:
            option = pending.pop(0)
            if option in effective or option in missing:
                continue
            spec = self.catalog.options[option]
            if self.unavailability(spec) is not None:
                return None
            missing.append(option)
            pending.extend(spec.requires)
        return missing

    # --- helpers --------------------------------------------------------------------------------------------

    def _active_standard(self, chosen: Iterable[str]) -> list[str]:
        """Standard options of the trim that still apply: choosing another member of a group replaces them."""
        trim = self.catalog.trims.get(self.config.trim)
        if trim is None:
            return []
        groups = {spec.group for code in chosen if (spec := self.catalog.options.get(code)) and spec.group}
        return [
            s for s in trim.standard_options if self.catalog.options[s].group not in groups or s in chosen
        ]

    def compatible_alternative(self, code: str) -> str | None:
        """First alternative of `code` that fits the context, the other options and its own requirements."""
        rest = [s for s in self.selected if s != code]
        for alternative in self.catalog.options[code].alternatives:
            spec = self.catalog.options[alternative]
            if alternative in self.selected or spec.discontinuing or self.unavailability(spec) is not None:
                continue
            if any(alternative in self.catalog.options[s].excludes for s in rest):
                continue
            effective = set(rest) | {alternative} | set(self._active_standard([*rest, alternative]))
            if all(r in effective for r in spec.requires):
                return alternative
        return None

    def _replace_or_remove(self, code: str, reason: str, *, remove_if_no_alternative: bool = True) -> None:
        if code in self.fixed:
            return
        alternative = self.compatible_alternative(code)
        if alternative is not None:
            self._recommend(REPLACE_OPTION, code, alternative, reason)
        elif remove_if_no_alternative:
            self._recommend(REMOVE_OPTION, code, NO_OPTION, reason)

    def _violate(
        self, code: str, field: str, message: str, option: str | None = None, related: str | None = None
    ) -> None:
        self.violations.append(Finding(code, message, field, option, related))

    def _warn(self, code: str, field: str, message: str, option: str | None = None) -> None:
        self.warnings.append(Finding(code, message, field, option))

    def _recommend(self, action: str, from_option: str, to_option: str, reason: str) -> None:
        key = (action, from_option, to_option)
        if key in self.recommendations:
            return
        if from_option != NO_OPTION:
            self.fixed.add(from_option)
        digest = hashlib.sha256("|".join((self.config.configuration_id, *key)).encode()).hexdigest()[:16]
        self.recommendations[key] = Recommendation(f"rec-{digest}", action, from_option, to_option, reason)
