"""SQL text shared by the store's readers (here so the lean first-screen reader can use
it without loading the model)."""

# What `rows.to_feed_info` reads.
FEED_SELECT = """
SELECT id, url, COALESCE(title, NULLIF(feed_title, ''), url), tags, unread, total,
       last_refresh, last_status, last_error, last_error_at, failures, next_fetch,
       disabled, etag, last_modified, source_mtime, server_wait
FROM feeds
"""

# What `rows.to_headline` reads; `sort_value` is the sort_ts, or the score in a search.
HEADLINE_COLUMNS = """a.pk, a.article_id, a.feed_id,
       COALESCE(f.title, NULLIF(f.feed_title, ''), f.url) AS feed_title, a.title,
       COALESCE(a.published, a.updated) AS date, a.link, a.read, a.starred"""
