"""The submit form in Chromium: a pasted token, a prefilled buildable configuration, the validation result
from POST /configurations/validate, and the notifications it causes arriving in the feed once each."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.local_cloud import RunningCloud

pytestmark = pytest.mark.browser


def test_console_submit_form_shows_result_and_its_notifications(
    cloud: RunningCloud, open_console: Any
) -> None:
    console = open_console(cloud).open()
    page = console.page
    page.locator("#token-input").fill("not-a-token")
    page.get_by_role("button", name="Sign in with token").click()
    expect(page.locator("#sign-in-error")).to_contain_text("not a JWT")
    page.locator("#token-input").fill(f"Bearer {cloud.token('analyst-de')}")
    page.get_by_role("button", name="Sign in with token").click()
    console.wait_connected()

    form = page.locator("#submit-form")
    expect(form.locator("select[name=market]")).to_have_value("DE")  # the token's first market
    expect(form.locator("select[name=modelLine]")).to_have_value("ARC")
    expect(form.locator("select[name=plant]")).to_have_value("ZWI")
    valid_id = form.locator("input[name=configurationId]").input_value()

    form.get_by_role("button", name="Validate").click()
    result = page.locator("#submit-result")
    expect(result).to_have_attribute("data-outcome", "VALID")
    expect(result.locator(".outcome")).to_have_text(f"{valid_id}: VALID")
    validated = console.note(valid_id)
    expect(validated).to_have_attribute("data-type", "ConfigurationValidated")
    expect(validated.locator(".title")).to_have_text(f"{valid_id} \u2014 VALID")

    # an option the model line does not offer: a violation and a replacement recommendation
    invalid_id = form.locator("input[name=configurationId]").input_value()
    assert invalid_id != valid_id, "each submission gets a fresh configuration id"
    form.locator("input[name=options]").fill("ACC, LKA, LASER-LIGHT")
    form.locator("select[name=priority]").select_option("HIGH")
    form.get_by_role("button", name="Validate").click()
    expect(result).to_have_attribute("data-outcome", "INVALID")
    expect(result.locator("ul.violations li")).to_have_text(
        ["LASER-LIGHT is not offered on ARC (OPTION_NOT_AVAILABLE_FOR_MODEL_LINE)"]
    )
    expect(result.locator("ul.recommendations li")).to_have_text(
        ["Replace LASER-LIGHT with LED-MATRIX (OPTION_NOT_AVAILABLE_FOR_MODEL_LINE)"]
    )
    recommended = page.locator("#feed > li[data-type='SpecAdjustmentRecommended']", has_text=invalid_id)
    expect(recommended.locator(".title")).to_have_text(
        f"{invalid_id} \u2014 replace LASER-LIGHT \u2192 LED-MATRIX"
    )
    outcome = page.locator("#feed > li[data-type='ConfigurationValidated']", has_text=invalid_id)
    expect(outcome.locator(".badge")).to_have_text("HIGH")
    expect(page.locator("#toasts .toast.priority-high").first).to_be_visible()
    # it reaches analyst-de on /markets/DE/* and on /users/analyst-de: shown once (dedupe by eventId)
    expect(console.notes).to_have_count(3)
    expect(outcome).to_have_count(1)

    # a field the API rejects: the message says what to fix
    form.locator("input[name=options]").fill('BAD"OPTION')
    form.get_by_role("button", name="Validate").click()
    expect(result).to_contain_text("Rejected (HTTP 400)")
    expect(result).to_contain_text("options[0]")


def test_console_shows_the_api_refusal_of_a_market_the_analyst_lacks(
    cloud: RunningCloud, open_console: Any
) -> None:
    console = open_console(cloud).open()
    page = console.page
    page.locator("#token-input").fill(cloud.token("analyst-fr"))
    page.get_by_role("button", name="Sign in with token").click()
    console.wait_connected()
    form = page.locator("#submit-form")
    market = form.locator("select[name=market]")
    expect(market.locator("option")).to_have_text(["FR \u2014 France"])  # only the granted market is offered

    # A market the token lacks, forced into the form (a stale page, a hand-edited request): the API decides.
    market.evaluate("select => select.add(new Option('US', 'US'))")
    market.select_option("US")
    expect(form.locator("select[name=plant]")).to_have_value("CHA")  # the US example, buildable
    form.get_by_role("button", name="Validate").click()
    result = page.locator("#submit-result")
    expect(result).to_have_class("submit-result error")
    expect(result).to_have_text(
        "Rejected (HTTP 403): Not granted market US: the token of analyst-fr grants FR only. "
        "Submit configurations only for your markets, or ask for access to US."
    )
