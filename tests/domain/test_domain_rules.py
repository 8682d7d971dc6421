"""Every buildability rule: the violation or warning it raises and the recommendation that fixes it."""

from __future__ import annotations

import json

import pytest
from vehicle_config.rules import (
    ADD_OPTION,
    INVALID,
    NO_OPTION,
    REMOVE_OPTION,
    REPLACE_OPTION,
    VALID,
    VALID_WITH_WARNINGS,
    Recommendation,
    ValidationResult,
    validate,
)

from tests.support.configurations import configuration


def codes(findings: tuple) -> list[str]:
    return [f.code for f in findings]


def fixes(result: ValidationResult) -> set[tuple[str, str, str, str]]:
    return {(r.action, r.from_option, r.to_option, r.reason_code) for r in result.recommendations}


def test_buildable_configuration_is_valid_without_findings() -> None:
    result = validate(configuration(options=["ROOF-PANO", "SEAT-HEAT", "ACC"]))
    assert result.outcome == VALID
    assert result.violations == result.warnings == result.recommendations == ()


@pytest.mark.parametrize(
    ("overrides", "rule", "field"),
    [
        ({"market": "BR"}, "UNKNOWN_MARKET", "market"),
        ({"modelLine": "ZETA"}, "UNKNOWN_MODEL_LINE", "modelLine"),
        (
            {"modelLine": "ARC", "market": "US", "powertrain": "HEV"},
            "MODEL_LINE_NOT_SOLD_IN_MARKET",
            "modelLine",
        ),
        (
            {"modelLine": "TERRA", "trim": "BASE", "powertrain": "P30", "plant": "BRA"},
            "TRIM_NOT_OFFERED",
            "trim",
        ),
        ({"powertrain": "BEV-LR"}, "POWERTRAIN_NOT_OFFERED", "powertrain"),
        ({"market": "US", "powertrain": "D20"}, "POWERTRAIN_NOT_SOLD_IN_MARKET", "powertrain"),
        ({"plant": "XYZ"}, "UNKNOWN_PLANT", "plant"),
        ({"plant": "ZWI", "powertrain": "HEV"}, "PLANT_CANNOT_BUILD_MODEL_LINE", "plant"),
        ({"plant": "BRA", "powertrain": "HEV"}, "PLANT_CANNOT_BUILD_POWERTRAIN", "plant"),
    ],
)
def test_context_rules_name_the_field(overrides: dict, rule: str, field: str) -> None:
    result = validate(configuration(**overrides))
    assert result.outcome == INVALID
    matching = [v for v in result.violations if v.code == rule]
    assert matching, f"expected {rule}, got {codes(result.violations)}"
    assert matching[0].field == field


def test_unknown_option_is_a_violation_with_a_removal() -> None:
    result = validate(configuration(options=["ACC", "FLUX-CAPACITOR"]))
    assert codes(result.violations) == ["UNKNOWN_OPTION"]
    assert result.violations[0].field == "options[1]"
    assert fixes(result) == {(REMOVE_OPTION, "FLUX-CAPACITOR", NO_OPTION, "UNKNOWN_OPTION")}


@pytest.mark.parametrize(
    ("overrides", "option", "rule", "fix"),
    [
        # ROOF-RAILS exists only on TERRA and NOVA and has no alternative: removed
        ({}, "ROOF-RAILS", "OPTION_NOT_AVAILABLE_FOR_MODEL_LINE", (REMOVE_OPTION, NO_OPTION)),
        # four-zone climate is PREMIUM-only: three-zone is the alternative SPORT offers
        ({}, "CLIMA-4Z", "OPTION_NOT_AVAILABLE_FOR_TRIM", (REPLACE_OPTION, "CLIMA-3Z")),
        # a 22 kW charger needs an electric powertrain
        ({}, "CHG-22KW", "OPTION_NOT_AVAILABLE_FOR_POWERTRAIN", (REMOVE_OPTION, NO_OPTION)),
        # laser light is not road-legal in the US: the matrix LED is the compatible alternative
        (
            {"market": "US", "plant": "CHA"},
            "LASER-LIGHT",
            "OPTION_NOT_SOLD_IN_MARKET",
            (REPLACE_OPTION, "LED-MATRIX"),
        ),
        # Chattanooga has no matte paint line: metallic paint instead
        (
            {"market": "US", "plant": "CHA"},
            "PAINT-MATTE",
            "PLANT_CANNOT_FIT_OPTION",
            (REPLACE_OPTION, "PAINT-METALLIC"),
        ),
    ],
)
def test_unavailable_option_is_replaced_by_a_fitting_alternative_or_removed(
    overrides: dict, option: str, rule: str, fix: tuple[str, str]
) -> None:
    result = validate(configuration(options=[option], **overrides))
    assert codes(result.violations) == [rule]
    assert result.violations[0].option == option
    assert fixes(result) == {(fix[0], option, fix[1], rule)}


def test_market_replacement_picks_the_option_sold_in_that_market() -> None:
    us = validate(configuration(market="US", plant="CHA", options=["DAB-RADIO"]))
    de = validate(configuration(market="DE", options=["SIRIUS-XM"]))
    assert fixes(us) == {(REPLACE_OPTION, "DAB-RADIO", "SIRIUS-XM", "OPTION_NOT_SOLD_IN_MARKET")}
    assert fixes(de) == {(REPLACE_OPTION, "SIRIUS-XM", "DAB-RADIO", "OPTION_NOT_SOLD_IN_MARKET")}


def test_option_not_sold_in_market_without_alternative_is_removed() -> None:
    result = validate(
        configuration(market="FR", options=["ACC", "LKA", "PARK-ASSIST", "CAM-360", "DRIVE-PILOT"])
    )
    assert codes(result.violations) == ["OPTION_NOT_SOLD_IN_MARKET"]
    assert fixes(result) == {(REMOVE_OPTION, "DRIVE-PILOT", NO_OPTION, "OPTION_NOT_SOLD_IN_MARKET")}


def test_excluded_pair_replaces_the_later_option_with_a_compatible_alternative() -> None:
    # a roof box cannot sit on the panoramic glass roof; the sunroof is the alternative that fits
    terra = {"modelLine": "TERRA", "powertrain": "P30", "plant": "BRA"}
    result = validate(configuration(options=["ROOF-RAILS", "ROOF-BOX-MOUNT", "ROOF-PANO"], **terra))
    assert codes(result.violations) == ["OPTION_EXCLUDED"]
    violation = result.violations[0]
    assert (violation.option, violation.related_option, violation.field) == (
        "ROOF-PANO",
        "ROOF-BOX-MOUNT",
        "options[2]",
    )
    assert fixes(result) == {(REPLACE_OPTION, "ROOF-PANO", "ROOF-SUN", "OPTION_CONFLICT")}


def test_excluded_pair_without_a_fitting_alternative_removes_the_later_option() -> None:
    # both tow hitches are in the exclusive TOWING group, and each is the other's only alternative
    result = validate(configuration(options=["TOW-HITCH", "TOW-HITCH-ELEC"]))
    assert codes(result.violations) == ["OPTION_EXCLUDED"]
    violation = result.violations[0]
    assert (violation.option, violation.related_option) == ("TOW-HITCH-ELEC", "TOW-HITCH")
    assert fixes(result) == {(REMOVE_OPTION, "TOW-HITCH-ELEC", NO_OPTION, "OPTION_CONFLICT")}


def test_explicit_exclusion_applies_in_both_orders() -> None:
    one = validate(configuration(options=["SUSP-SPORT", "SPORT-PKG", "TOW-HITCH"]))
    other = validate(configuration(options=["TOW-HITCH", "SUSP-SPORT", "SPORT-PKG"]))
    assert [v.option for v in one.violations if v.code == "OPTION_EXCLUDED"] == ["TOW-HITCH"]
    assert [v.option for v in other.violations if v.code == "OPTION_EXCLUDED"] == ["SPORT-PKG"]


def test_missing_requirement_recommends_adding_it_and_what_it_needs() -> None:
    result = validate(configuration(options=["ACC", "LKA", "DRIVE-PILOT"]))
    assert codes(result.violations) == ["OPTION_REQUIRES_MISSING"]
    violation = result.violations[0]
    assert (violation.option, violation.related_option) == ("DRIVE-PILOT", "CAM-360")
    assert fixes(result) == {
        (ADD_OPTION, NO_OPTION, "CAM-360", "REQUIRED_OPTION_MISSING"),
        (ADD_OPTION, NO_OPTION, "PARK-ASSIST", "REQUIRED_OPTION_MISSING"),
    }


def test_missing_requirement_that_conflicts_recommends_a_replacement() -> None:
    # SEAT-VENT needs leather; cloth (same UPHOLSTERY group) has to make way
    result = validate(configuration(trim="STYLE", options=["SEAT-CLOTH", "SEAT-VENT"]))
    rules = codes(result.violations)
    assert "OPTION_REQUIRES_MISSING" in rules
    assert (REPLACE_OPTION, "SEAT-CLOTH", "SEAT-LEATHER", "REQUIRED_OPTION_MISSING") in fixes(result)


def test_missing_requirement_that_is_unavailable_recommends_removing_the_option() -> None:
    # ventilated seats need leather, which the BASE trim does not offer
    result = validate(configuration(trim="BASE", options=["SEAT-VENT"]))
    assert codes(result.violations) == ["OPTION_REQUIRES_MISSING"]
    assert fixes(result) == {(REMOVE_OPTION, "SEAT-VENT", NO_OPTION, "REQUIRED_OPTION_UNAVAILABLE")}


def test_standard_equipment_satisfies_requirements() -> None:
    # SPORT trim has leather as standard, so ventilated seats need nothing else
    assert validate(configuration(options=["SEAT-VENT"])).outcome == VALID


def test_choosing_another_group_member_replaces_standard_equipment() -> None:
    # vegan leather replaces the SPORT trim's standard leather, so ventilated seats lose their requirement
    result = validate(configuration(options=["SEAT-VEGAN", "SEAT-VENT"]))
    assert codes(result.violations) == ["OPTION_REQUIRES_MISSING"]
    assert result.violations[0].related_option == "SEAT-LEATHER"
    assert (REPLACE_OPTION, "SEAT-VEGAN", "SEAT-LEATHER", "REQUIRED_OPTION_MISSING") in fixes(result)


def test_standard_option_selected_again_is_a_warning_with_a_removal() -> None:
    result = validate(configuration(options=["SEAT-LEATHER"]))
    assert result.outcome == VALID_WITH_WARNINGS
    assert codes(result.warnings) == ["OPTION_STANDARD_IN_TRIM"]
    assert fixes(result) == {(REMOVE_OPTION, "SEAT-LEATHER", NO_OPTION, "OPTION_STANDARD_IN_TRIM")}


def test_discontinuing_option_is_a_warning_with_its_successor() -> None:
    result = validate(configuration(trim="STYLE", options=["NAV-BASIC"]))
    assert result.outcome == VALID_WITH_WARNINGS
    assert codes(result.warnings) == ["OPTION_DISCONTINUING"]
    assert fixes(result) == {(REPLACE_OPTION, "NAV-BASIC", "NAV-PRO", "OPTION_DISCONTINUING")}


def test_duplicate_option_is_a_warning_only() -> None:
    result = validate(configuration(options=["ACC", "ACC"]))
    assert result.outcome == VALID_WITH_WARNINGS
    assert codes(result.warnings) == ["DUPLICATE_OPTION"]
    assert result.warnings[0].field == "options[1]"
    assert result.recommendations == ()


def test_option_rules_are_skipped_when_the_context_is_unknown_but_unknown_options_are_not() -> None:
    result = validate(configuration(modelLine="ZETA", options=["ROOF-RAILS", "NOPE"]))
    assert codes(result.violations) == ["UNKNOWN_MODEL_LINE", "UNKNOWN_OPTION"]


def test_one_fix_per_option_even_when_several_rules_apply() -> None:
    # LASER-LIGHT is unavailable in the US and also conflicts with LED-STD: only one recommendation for it
    result = validate(configuration(market="US", plant="CHA", options=["LED-STD", "LASER-LIGHT"]))
    assert {r.from_option for r in result.recommendations} == {"LASER-LIGHT"}
    assert len(result.recommendations) == 1


def test_recommendation_ids_are_stable_and_distinct_per_configuration() -> None:
    first = validate(configuration(options=["FOO"])).recommendations[0]
    again = validate(configuration(options=["FOO"])).recommendations[0]
    other = validate(configuration(configurationId="cfg-test-2", options=["FOO"])).recommendations[0]
    assert isinstance(first, Recommendation)
    assert first.recommendation_id == again.recommendation_id != other.recommendation_id


def test_result_json_shape() -> None:
    # Through JSON and back, as a client reads it: the shape must also serialise.
    body = json.loads(json.dumps(validate(configuration(options=["ACC", "LKA", "DRIVE-PILOT"])).to_dict()))
    assert body["outcome"] == INVALID
    assert body["violations"][0] == {
        "code": "OPTION_REQUIRES_MISSING",
        "field": "options[2]",
        "message": "DRIVE-PILOT requires CAM-360",
        "option": "DRIVE-PILOT",
        "relatedOption": "CAM-360",
    }
    assert set(body["recommendations"][0]) == {
        "recommendationId",
        "action",
        "fromOption",
        "toOption",
        "reasonCode",
    }
