"""Lesson 4's self-check (the page places it through the lesson skeleton)."""

from __future__ import annotations

from components.workshop import Answer, Question
from lab.i18n import _


def self_check_questions() -> list[Question]:
    return [
        Question(_("Three graphs each draw 48 numbers from a 100,000-row table. What should the expensive callback "
                   "send them?"), (
            Answer(_("The 48 numbers each graph draws, one small store per graph."), True,
                   _("The graphs need nothing else; the bytes no longer grow with the table.")),
            Answer(_("The whole table, so each graph can compute what it needs."), False,
                   _("Then every graph callback uploads the whole table and adds it up again: measured above.")),
            Answer(_("A filtered subset per graph, packed into one store."), False,
                   _("Each graph still receives every subset: the reference's variant sends more than the data.")))),
        Question(_("Why does a store of JSON text inside JSON cost more on every trip?"), (
            Answer(_("Its quotes and backslashes are escaped again each time it is encoded."), True,
                   _("Text inside JSON grows with escaping, and must be parsed twice on arrival.")),
            Answer(_("Because Dash compresses it twice."), False,
                   _("Compression is not the cost here: escaping and double parsing are.")),
            Answer(_("It does not: JSON is JSON."), False,
                   _("Compare the subsets row in the table: it is larger than the whole table.")))),
        Question(_("After aggregating upfront, what grows when the table doubles?"), (
            Answer(_("The time of the expensive step, not the bytes sent to the graphs."), True,
                   _("The step still reads every row; the graphs still receive 48 numbers each.")),
            Answer(_("The bytes each graph receives."), False,
                   _("Twelve months × four regions stay 48 numbers whatever the number of rows.")),
            Answer(_("Nothing at all."), False,
                   _("The expensive step has twice the rows to add up.")))),
    ]
