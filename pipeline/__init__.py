"""Plain functions over the study database, one stage per module (no Prefect, no Scrapy)."""
