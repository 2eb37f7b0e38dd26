"""An outlet's page furniture (share buttons, copyright lines, its video playlist) does not tie its
different stories together, nor make them copies of each other; a wire story keeps every sentence."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conftest import HOUR, T0

from storyline import Article, Config, Engine
from storyline.text.furniture import Furniture

SPARSE = Config(embeddings="none")

#: What one invented outlet prints on every page, before and after the story.
TOP = ("Watch live: Channel Nine News at six with Orla Brennagh and Teodor Vask. "
       "Trending now: Kestrel Bay marathon winner Ilse Marrow collapses at the finish line. "
       "Trending now: Ferndale zoo welcomes twin snow leopard cubs named Pip and Sorrel. "
       "Trending now: Galloway Street bakery wins the Northmoor regional pie championship again.")
BOTTOM = ("Join the conversation on the Channel Nine Northmoor Facebook page. "
          "Stay up to date and follow Channel Nine Northmoor on Twitter for breaking news alerts. "
          "Copyright Channel Nine Northmoor Broadcasting, all rights reserved; this material may not be "
          "published, broadcast, rewritten or redistributed.")

EVENTS = [
    ("Warehouse fire closes Brennick ring road",
     "Firefighters fought a blaze at a timber warehouse in Brennick through the night, and the ring road "
     "stayed closed on Tuesday morning while crews damped down the roof."),
    ("Talvik bus driver praised after brakes fail on hill",
     "A bus driver in Talvik steered her coach into a hedge when its brakes failed on Moor Lane, and all "
     "fourteen passengers walked away with minor bruises, the transit company said."),
    ("Osterby council approves new swimming pool",
     "Osterby council voted eight to three for a new public swimming pool beside the old mill, to open in "
     "two years at a cost of six million crowns."),
]


def page(i: int) -> Article:
    title, story = EVENTS[i]
    return Article(id=f"ch9-{i}", title=title, text=f"{TOP} {story} {BOTTOM}", source="ch9northmoor.example",
                   published=T0 + i * HOUR)


def test_an_outlets_furniture_does_not_join_its_different_stories():
    with Engine(config=SPARSE) as engine:
        placed = [engine.add(page(i)) for i in range(len(EVENTS))]
    assert [a.kind for a in placed] == ["new", "new", "new"]
    assert len({a.story_id for a in placed}) == 3
    # Without the filter the same pages are one story (copies, even): the test depends on it.
    with Engine(config=Config(embeddings="none", furniture_memory=0)) as engine:
        unfiltered = [engine.add(page(i)) for i in range(len(EVENTS))]
    assert len({a.story_id for a in unfiltered}) < 3


@pytest.mark.parametrize("tail", ["", " - Channel Nine Northmoor, your home for news, weather and sport"])
def test_furniture_learnt_before_a_restart_is_learnt_again(tmp_path, tail):
    pages = [dataclasses.replace(page(i), title=page(i).title + tail) for i in range(3)]
    db = tmp_path / "news.db"
    with Engine(db, SPARSE) as engine:
        first = [engine.add(p) for p in pages[:2]]
    with Engine(db, SPARSE) as engine:
        third = engine.add(pages[2])
        headline = engine.story(third.story_id).headline
    with Engine(config=SPARSE) as engine:
        together = [engine.add(p) for p in pages]
    assert [a.story_id for a in first] + [third.story_id] == [a.story_id for a in together]
    assert third.kind == together[2].kind == "new" and third.scores == together[2].scores
    assert headline == EVENTS[2][0]


def test_a_wire_story_printed_by_many_outlets_keeps_its_sentences():
    wire = ("Divers recovered the bell of the Halloran, a cargo ship lost off Kestrel Bay in 1911, and it will "
            "go on show at the Northmoor maritime museum in the spring, the museum's director said on Monday.")
    with Engine(config=SPARSE) as engine:
        outlets = ["ch9northmoor.example", "valley.example", "coast.example"]
        placed = [engine.add(Article(id=f"w{i}", title=f"Halloran bell raised ({i})", text=wire, source=s,
                                     published=T0 + i * HOUR)) for i, s in enumerate(outlets)]
    assert len({a.story_id for a in placed}) == 1
    assert [a.kind for a in placed][1:] == ["copy", "copy"]


def test_an_outlets_follow_up_of_its_own_story_joins_it():
    # The follow-up repeats the first report's sentence, which the filter takes out (it was printed
    # before): what is new in it, its title and its names must place it, and they do. (The outlet's
    # furniture is known by then: its other pages came first. Its very first page keeps its furniture,
    # since nothing tells it apart yet.)
    follow_up = (EVENTS[0][1] + " Brennick fire chief Anneke Dowd said on Wednesday that a faulty heater in the "
                 "timber warehouse started the fire, and the ring road reopened at noon.")
    with Engine(config=SPARSE) as engine:
        engine.add(page(1))
        engine.add(page(2))
        first = engine.add(page(0))
        later = engine.add(Article(id="ch9-0-follow-up", title="Faulty heater started Brennick warehouse fire",
                                   text=f"{TOP} {follow_up} {BOTTOM}", source="ch9northmoor.example",
                                   published=T0 + 26 * HOUR))
    assert later.kind == "joined" and later.story_id == first.story_id


def test_furniture_is_per_outlet_and_forgotten():
    f = Furniture(per_outlet=2)
    line = "Follow Channel Nine Northmoor on Twitter for breaking news alerts."
    assert f.clean("ch9.example", f"A ferry ran aground. {line}") == f"A ferry ran aground. {line}"
    assert f.clean("CH9.example:80", f"A bridge reopened. {line}") == "A bridge reopened."  # same site
    assert f.clean("other.example", f"A bridge reopened. {line}").endswith(line)
    f.clean("ch9.example", "The first of two unrelated pages.")
    f.clean("ch9.example", "The second of two unrelated pages.")
    # The two articles that held the line are now older than the outlet's last two: it is news again.
    assert f.clean("ch9.example", f"A mill burned. {line}").endswith(line)


def test_remembering_is_cleaning_without_the_answer():
    texts = [("a.example", "One story here. Share this on Facebook now please."),
             ("b.example", "Another outlet entirely, another story. Share this on Facebook now please."),
             ("a.example", "Second story of outlet a. Share this on Facebook now please.")]
    cleaned, remembered = Furniture(), Furniture()
    for source, text in texts:
        cleaned.clean(source, text)
        remembered.remember(source, "", text)
    probe = ("a.example", "Third story. Share this on Facebook now please.")
    assert cleaned.clean(*probe) == remembered.clean(*probe) == "Third story."
    remembered.settle()


def test_memory_is_bounded_by_outlets():
    f = Furniture(outlets=3)
    for i in range(10):
        f.clean(f"outlet{i}.example", "A sentence long enough to be remembered as furniture.")
    assert len(f._memory) == 3
    # The outlet seen first was forgotten: its line is new to it again.
    assert f.clean("outlet0.example", "A sentence long enough to be remembered as furniture.") != ""


def test_a_summary_does_not_open_with_a_pages_furniture():
    # Scraped pages join their blocks with line breaks or runs of spaces, and a player's notice has
    # no full stop: it used to be read as the first words of the lede's sentence.
    text = ("Please enable Javascript to watch this video  A sinkhole opened under Harwick Road in Lenby on "
            "Monday night and swallowed two parked cars, the city's roads department said.\n"
            "No one was hurt, and engineers expect the road to stay closed for a week.")
    with Engine(config=SPARSE) as engine:
        placed = engine.add(Article(id="sink", title="Sinkhole swallows two cars in Lenby", text=text,
                                    source="lenby.example", published=T0))
        summary = engine.story(placed.story_id).summary
    assert summary.startswith("A sinkhole opened under Harwick Road"), summary
    assert "Javascript" not in summary


TAIL = " - Channel Nine Northmoor, your home for news, weather and sport"


def test_a_title_tail_the_outlet_puts_on_every_title_is_cut_from_scores_and_headlines():
    with Engine(config=SPARSE) as engine:
        placed = [engine.add(Article(id=f"t{i}", title=EVENTS[i][0] + TAIL, text=EVENTS[i][1],
                                     source="ch9northmoor.example", published=T0 + i * HOUR)) for i in range(3)]
        # The first title's tail is not known to be furniture yet; the second's is: nothing is left
        # for the titles to share.
        assert placed[1].scores.get("title", 0.0) == 0.0
        headlines = {engine.story(a.story_id).headline for a in placed[1:]}
        listed = [item.title for _, items in engine.story(placed[2].story_id).coverage for item in items]
    assert headlines == {EVENTS[1][0], EVENTS[2][0]}
    assert listed == [EVENTS[2][0]]  # in the coverage under its outlet's name too
    assert len({a.story_id for a in placed}) == 3
    with Engine(config=Config(embeddings="none", furniture_memory=0)) as engine:
        kept = [engine.add(Article(id=f"t{i}", title=EVENTS[i][0] + TAIL, text=EVENTS[i][1],
                                   source="ch9northmoor.example", published=T0 + i * HOUR)) for i in range(3)]
        assert kept[1].scores["title"] > 0.3  # the tail made the titles alike: two events, one story
        assert kept[1].story_id == kept[0].story_id
        assert engine.story(kept[0].story_id).headline.endswith(TAIL)


def test_why_and_the_summary_know_what_was_left_out(tmp_path, run_cli):
    db = tmp_path / "news.db"
    with Engine(db, SPARSE) as engine:
        for i in range(3):
            engine.add(page(i))
    proc = run_cli("why", "ch9-2", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    why = json.loads(proc.stdout)
    text = page(2).text
    left_out = [text[a:b] for a, b in why["furniture"]]
    assert left_out and all(s in TOP + " " + BOTTOM for s in left_out)
    assert EVENTS[2][1] not in " ".join(left_out)
    shown = run_cli("why", "ch9-2", "--db", db)
    assert f"read without {len(left_out)} sentences that its outlet printed on its other pages" in shown.stdout
    with Engine(db, SPARSE) as engine:
        story = engine.story(engine.story_of("ch9-2"))
    assert story.summary == EVENTS[2][1]  # not "Trending now: ..." nor the copyright line
    assert "Channel Nine" not in {e.name for e in story.entities}
