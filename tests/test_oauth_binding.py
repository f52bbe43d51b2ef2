"""An authorization link connects the store it was issued for, and nothing else.

Each test drives the real callback over HTTP against the platform's emulator, with
a configured store (the victim, holding tokens already) and someone else's shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oauth_scene import ATTACKER, OLD, SISTER, VICTIM, scene

PLATFORMS = ["shopee", "lazada", "tiktok"]


def redirect(name: str, code: str, state: str, shop: str | None = None) -> dict[str, str]:
    """The query a platform sends back; Shopee and Lazada name a shop in it."""
    query = {"code": code, "state": state}
    if shop is not None and name != "tiktok":
        query["shop_id"] = shop
    return query


@pytest.mark.parametrize("name", PLATFORMS)
async def test_a_foreign_shop_is_refused_and_nothing_is_stored(tmp_path: Path,
                                                                name: str) -> None:
    async with scene(tmp_path, name) as s:
        state = await s.link(s.victim_key)
        attacker = ATTACKER[name]
        status, page = await s.callback(redirect(name, s.code([attacker]), state, attacker))
        assert status == 403, page
        assert "Nothing was stored" in page and s.victim_key in page and attacker in page
        assert await s.tokens(VICTIM[name]) == OLD
        assert await s.tokens(attacker) is None  # TikTok used to keep these
        # The state is spent: the victim's own code cannot ride on it now.
        status, page = await s.callback(redirect(name, s.code([VICTIM[name]]), state,
                                                 VICTIM[name]))
        assert status == 400 and "expired or was not issued" in page
        assert await s.tokens(VICTIM[name]) == OLD


@pytest.mark.parametrize("name", PLATFORMS)
async def test_a_tampered_shop_id_never_decides_whose_tokens_are_written(
        tmp_path: Path, name: str) -> None:
    async with scene(tmp_path, name) as s:
        victim, attacker = VICTIM[name], ATTACKER[name]
        # A link for the victim's store, the attacker's code, the victim's shop_id.
        status, page = await s.callback(redirect(name, s.code([attacker]),
                                                 await s.link(s.victim_key), victim))
        # Shopee itself refuses a code traded for a shop it was not issued for.
        assert status == (502 if name == "shopee" else 403), page
        assert await s.tokens(victim) == OLD and await s.tokens(attacker) is None
        # The hijack of the issue: a link for a new store, tampered to the victim's id.
        status, page = await s.callback(redirect(name, s.code([attacker]),
                                                 await s.link(None), victim))
        assert await s.tokens(victim) == OLD
        if name == "shopee":
            assert status == 502 and await s.tokens(attacker) is None
        else:  # stored as the attacker's own (unconfigured) shop: no channel shows it
            assert status == 200, page
            assert f"shop {attacker} is authorized" in page and victim not in page
            got = await s.tokens(attacker)
            assert got is not None and got.access_token != OLD.access_token


@pytest.mark.parametrize("name", PLATFORMS)
async def test_the_right_shop_connects_once_and_a_replay_is_refused(tmp_path: Path,
                                                                    name: str) -> None:
    async with scene(tmp_path, name) as s:
        victim = VICTIM[name]
        # A link for a new store does not reconnect a configured one.
        status, page = await s.callback(redirect(name, s.code([victim]), await s.link(None),
                                                 victim))
        assert status == 409 and f"stores authorize {name} {s.victim_key}" in page, page
        assert await s.tokens(victim) == OLD
        state = await s.link(s.victim_key)
        query = redirect(name, s.code([victim]), state, victim)
        status, page = await s.callback(query)
        assert status == 200, page
        assert f"connected as store {s.victim_key}" in page
        fresh = await s.tokens(victim)
        assert fresh is not None and fresh != OLD and fresh.access_token
        status, page = await s.callback(query)
        assert status == 400 and "expired or was not issued" in page
        assert await s.tokens(victim) == fresh


@pytest.mark.parametrize("name", ["shopee", "tiktok"])
async def test_a_grant_for_several_shops_connects_what_the_link_allows(
        tmp_path: Path, name: str) -> None:
    """Shopee's main-account redirect (main_account_id, no shop_id) and TikTok's
    grant for a seller's several shops: the configured shops covered are connected
    by a link for one of them; a new-store link connects only the others."""
    async with scene(tmp_path, name) as s:
        victim, sister = VICTIM[name], SISTER[name]

        def main_redirect(state: str, shops: list[str]) -> dict[str, str]:
            if name == "tiktok":
                return {"code": s.code(shops), "state": state}
            return {"code": s.code(shops, 4242), "state": state, "main_account_id": "4242"}

        status, page = await s.callback(main_redirect(await s.link(s.victim_key),
                                                      [victim, sister]))
        assert status == 200, page
        assert f"connected as store {s.victim_key}" in page
        assert f"Shop {sister} is not in storebridge.yml" in page
        connected = await s.tokens(victim)
        assert connected is not None and connected != OLD
        assert await s.tokens(sister) is None
        # A new-store link over the same kind of grant: the sister shop, not the victim.
        status, page = await s.callback(main_redirect(await s.link(None), [victim, sister]))
        assert status == 200, page
        assert f"shop {sister} is authorized" in page and f"already store {s.victim_key}" in page
        assert await s.tokens(sister) is not None
        assert await s.tokens(victim) == connected
        # A main account (or seller) without the victim's shop: refused, nothing stored.
        status, page = await s.callback(main_redirect(await s.link(s.victim_key),
                                                      [ATTACKER[name]]))
        assert status == 403 and "Nothing was stored" in page
        assert await s.tokens(ATTACKER[name]) is None and await s.tokens(victim) == connected


async def test_a_shopee_redirect_naming_no_shop_is_400_and_keeps_the_state(
        tmp_path: Path) -> None:
    async with scene(tmp_path, "shopee") as s:
        state = await s.link(s.victim_key)
        code = s.code([VICTIM["shopee"]])
        for bad in ({}, {"shop_id": "12x"},
                    {"shop_id": VICTIM["shopee"], "main_account_id": "4242"}):
            status, page = await s.callback({"code": code, "state": state, **bad})
            assert status == 400 and "Shopee" in page, page
        assert state in await s.states()
        status, page = await s.callback({"code": code, "state": state,
                                         "shop_id": VICTIM["shopee"]})
        assert status == 200, page


async def test_a_state_at_the_wrong_callback_is_not_spent(tmp_path: Path) -> None:
    async with scene(tmp_path, "shopee", env={"LAZADA_APP_KEY": "k",
                                              "LAZADA_APP_SECRET": "s"}) as s:
        state = await s.link(s.victim_key)
        code = s.code([VICTIM["shopee"]])
        status, page = await s.callback({"code": code, "state": state}, platform="lazada")
        assert status == 400 and "issued for shopee, not lazada" in page
        assert state in await s.states()
        status, page = await s.callback({"code": code, "state": state,
                                         "shop_id": VICTIM["shopee"]})
        assert status == 200, page


async def test_a_link_for_an_unknown_or_sandbox_store_is_not_issued(tmp_path: Path) -> None:
    async with scene(tmp_path, "lazada") as s:
        for key in ("lazada:nope", "shopee:600123456", "lazada:my-1"):
            with pytest.raises(Exception, match="no lazada store|sandbox") as e:
                await s.link(key)
            assert getattr(e.value, "status", None) == 400
        assert await s.states() == []


async def test_without_a_secret_key_no_link_is_issued_and_no_state_is_spent(
        tmp_path: Path) -> None:
    from bot.oauth import AuthorizationError

    async with scene(tmp_path, "tiktok", env={"STOREBRIDGE_SECRET_KEY": ""}) as s:
        with pytest.raises(AuthorizationError, match="STOREBRIDGE_SECRET_KEY") as e:
            await s.link(s.victim_key)
        assert e.value.status == 503 and await s.states() == []
        # A state issued while a key was set (a restart without it since) stays unspent.
        await s.bridge.store.credentials.issue_oauth_state("kept", "tiktok", None, "t")
        status, page = await s.callback({"code": s.code([VICTIM["tiktok"]]), "state": "kept"})
        assert status == 503 and "Fernet.generate_key()" in page
        assert await s.states() == ["kept"]
        assert await s.tokens(VICTIM["tiktok"]) is None
