"""The JSON shapes of the API (pydantic models: they make the OpenAPI schema at ``/api/openapi.json``).

Times are ISO 8601 UTC strings (``2026-11-20T07:42:00Z``) or ``null`` when a source gave no date.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class EntityOut(BaseModel):
    name: str
    type: str = Field(description="person, place, org or other")
    articles: int = Field(description="articles of the story that mention the name")
    url: str = Field(description="the entity's API resource")


class StoryCardOut(BaseModel):
    id: int
    headline: str
    summary: str
    articles: int
    outlets: int
    first_seen: str | None
    last_seen: str | None
    entities: list[EntityOut] = Field(description="the top names (at most five)")
    activity: list[int] = Field(description="the sparkline: articles per bin, oldest first")
    activity_label: str
    url: str = Field(description="the story's API resource")
    page: str = Field(description="the story's web page")


class StoryListOut(BaseModel):
    stories: list[StoryCardOut]
    window: str
    sort: str
    entity: str | None
    page: int
    next: str | None = Field(description="URL of the next page, if any")
    clock: str | None = Field(description="the time ages count from (now, or the newest article of an archive)")
    archive: bool


class WhyOut(BaseModel):
    kind: str = Field(description="new (started the story), joined, copy (near-identical) or duplicate")
    explanation: str
    score: float | None
    threshold: float | None
    features: dict[str, float] = Field(description="similarities with the story, each where it was compared: title and "
                                                  "body words, names, meaning (sentence embeddings)")
    hours_apart: float | None
    copy_of: str | None
    runner_up: int | None = Field(description="the next best story it did not join")
    runner_up_score: float | None
    merged: list[int]
    reopened: bool = Field(False, description="the story had gone quiet for longer than max_idle_hours and this "
                                              "follow-up, retelling it, reopened it")


class CoverageArticleOut(BaseModel):
    id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    why: WhyOut
    copies: list["CoverageArticleOut"]


class OutletOut(BaseModel):
    outlet: str
    articles: list[CoverageArticleOut]


class TimelinePoint(BaseModel):
    time: str = Field(description="an hour (2026-11-20T07:00Z) or a day (2026-11-20)")
    articles: int


class LanguageOut(BaseModel):
    lang: str | None = Field(description="ISO 639-1 code, declared by the source or detected; null: unknown")
    articles: int


class StorylineStoryOut(BaseModel):
    id: int
    headline: str
    articles: int
    last_seen: str | None
    page: str


class StorylineOut(BaseModel):
    id: int = Field(description="the smallest story id in the storyline (stable while it grows)")
    name: str = Field(description="the names its stories share, else its biggest story's headline")
    total: int = Field(description="stories in the storyline in all")
    stories: list[StorylineStoryOut] = Field(description="its most recently active stories (up to 10), this one included")


class StoryOut(BaseModel):
    id: int
    headline: str
    summary: str
    articles: int
    outlets: int
    first_seen: str | None
    last_seen: str | None
    entities: list[EntityOut]
    keywords: list[str]
    timeline: list[TimelinePoint]
    coverage: list[OutletOut]
    coverage_shown: int
    languages: list[LanguageOut]
    storyline: StorylineOut | None = Field(None, description="related stories of one thread, this one included")
    related: list[StoryCardOut]
    requested: int | None = Field(None, description="the id asked for, when it was merged into this story")
    page: str


class ArticleOut(BaseModel):
    id: str
    title: str
    text: str
    url: str | None
    source: str | None
    published: str | None
    lang: str | None
    story: int = Field(description="the live story it belongs to")
    placed_in: int = Field(description="the story it was first placed in (merges may have moved it)")
    headline: str | None
    why: WhyOut


class HitOut(BaseModel):
    id: str
    title: str
    title_html: str = Field(description="the title, HTML-escaped, with matches in <mark>")
    snippet_html: str = Field(description="a passage of the text, HTML-escaped, with matches in <mark>")
    source: str | None
    published: str | None


class SearchStoryOut(StoryCardOut):
    hits: list[HitOut]


class SearchOut(BaseModel):
    query: str
    stories: list[SearchStoryOut]
    #: The best matching articles, at most 200, and the stories they belong to (the pages' total).
    articles_matched: int
    stories_matched: int
    page: int
    limit: int
    #: The next page of stories, or ``None`` on the last.
    next: str | None


class EntityCountOut(BaseModel):
    name: str
    type: str
    stories: int
    url: str


class EntitiesOut(BaseModel):
    entities: list[EntityCountOut]
    basis: str


class EntityPageOut(BaseModel):
    name: str
    type: str
    stories_total: int
    stories: list[StoryCardOut]
    next: str | None
    complete: bool = Field(description="false while some stories are not described yet")


class StatsOut(BaseModel):
    articles: int
    stories: int
    described: int = Field(description="stories whose description is cached (entity pages cover these)")
    latest: str | None
    archive: bool
    last_seq: int
    background: dict[str, float | int | bool]
    version: str


class AcceptedOut(BaseModel):
    index: int
    id: str
    status: str = Field(description="new, joined, copy or duplicate")
    story: int


class RejectedOut(BaseModel):
    index: int
    field: str | None
    reason: str


class IngestOut(BaseModel):
    accepted: list[AcceptedOut]
    rejected: list[RejectedOut]


class ErrorOut(BaseModel):
    error: str


class WatchlistOut(BaseModel):
    name: str
    query: str | None = Field(description="full-text query (FTS5 syntax), if any")
    entity: str | None = Field(description="a person, place or organisation, if any")
    follows: str = Field(description="the query and/or entity in words")
    webhook: bool = Field(description="whether alerts are POSTed to a webhook (its URL is never shown)")
    command: bool = Field(description="whether alerts are piped to a command (never shown)")
    created_at: str | None
    stories: int = Field(description="live stories it matched")
    alerts: int = Field(description="alerts it fired (matches when it was added are not alerts)")
    pending: bool = Field(description="newer articles are still to be checked against it")
    url: str = Field(description="the watchlist's API resource")
    page: str = Field(description="its web page")
    feed: str = Field(description="its Atom feed")


class WatchlistsOut(BaseModel):
    watchlists: list[WatchlistOut]


class AlertOut(BaseModel):
    id: int
    story: int
    condition: str = Field(description="match (the story newly matched) or burst (its coverage burst)")
    reason: str
    headline: str
    fired_at: str | None
    page: str


class WatchlistPageOut(BaseModel):
    watchlist: WatchlistOut
    stories: list[StoryCardOut] = Field(description="matching stories, most recently active first")
    next: str | None = Field(description="URL of the next page, if any")
    alerts: list[AlertOut] = Field(description="the latest alerts it fired, newest first")


class BriefMarkOut(BaseModel):
    seq: int = Field(description="the newest article's sequence number when the last CLI brief was made")
    clock: str | None
    made_at: str | None


class BurstOut(BaseModel):
    at: str | None = Field(description="the end of the window the burst was measured in")
    hours: int
    before: int = Field(description="the story's articles in the hours before the window")
    after: int = Field(description="the story's articles in the window")
    factor: float = Field(description="after / max(before, 1)")
    stream_factor: float = Field(description="the same ratio for the rest of the stream (the baseline)")
    stream_before: int
    stream_after: int


class ImportanceOut(BaseModel):
    articles: int = Field(description="the story's articles in the period")
    outlets: int = Field(description="its outlets in the period")
    growth: float
    burst: BurstOut | None
    score: float = Field(description="what ranks the stories of a brief")


class BriefLinkOut(BaseModel):
    title: str
    url: str | None
    source: str | None
    published: str | None


class BriefStoryOut(BaseModel):
    id: int
    headline: str
    summary: str
    status: str = Field(description="new (began in the period) or developing")
    articles: int
    outlets: int
    new_articles: int = Field(description="articles since the period's fresh mark")
    new_outlets: list[str]
    new_entities: list[str]
    entities: list[str]
    importance: ImportanceOut
    why: str = Field(description="why it is in the brief, in words")
    first_seen: str | None
    last_seen: str | None
    links: list[BriefLinkOut] = Field(description="an article worth opening per outlet, newest first")
    latest: str | None = Field(None, description="a developing story's news: the headline of its new articles "
                                                 "(its summary is then told from them)")


class BriefOut(BaseModel):
    start: str | None
    end: str | None
    fresh_from: str | None = Field(description="stories that began after this are new")
    hours: float
    topic: str | None
    previous: BriefMarkOut | None = Field(description="the last CLI brief's mark, for since=last")
    articles: int
    outlets: int
    executive: list[str] = Field(description="the executive summary, one line each")
    stories: list[BriefStoryOut]
    note: str | None
    new_stories: int = Field(description="new stories of the whole period (stories holds the top limit)")
    developing_stories: int
