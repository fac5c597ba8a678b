"""Scrapy settings of the framewatch crawlers: polite by default.

``framewatch crawl`` layers the study's values (feed folder, JOBDIR, filters, politeness) over
these; running ``scrapy crawl news`` by hand uses them as they are.
"""

BOT_NAME = "framewatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Say who we are and how to reach us; sites block anonymous crawlers first.
USER_AGENT = (
    "framewatch/0.1 (media research crawler; +https://github.com/framewatch/framewatch; "
    "obeys robots.txt)"
)
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# 429 and 5xx are handled by BackoffMiddleware (Retry-After, exponential back-off); the stock
# retry middleware keeps retrying connection errors and timeouts only.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES: list[int] = []
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 5.0

DUPEFILTER_CLASS = "crawlers.middlewares.CountingDupeFilter"
# Scrapy's offsite check, per outlet and for redirects too (it runs as each request is scheduled).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawlers.middlewares.OutletOffsiteMiddleware": 50,
    "crawlers.middlewares.BackoffMiddleware": 560,
}

# One concern each, in order: drop non-articles, then filter, then count what is kept.
ITEM_PIPELINES = {
    "crawlers.pipelines.RequireTextPipeline": 100,
    "crawlers.pipelines.LanguagePipeline": 200,
    "crawlers.pipelines.DateWindowPipeline": 300,
    "crawlers.pipelines.KeywordPipeline": 400,
    "crawlers.pipelines.CoveragePipeline": 900,
}

# framewatch's own settings (set by `framewatch crawl` from study.toml).
FW_KEYWORDS: list[str] = []
FW_START_DATE: str | None = None
FW_END_DATE: str | None = None
FW_LANGUAGES: list[str] = []
FW_BACKOFF_BASE = 2.0
FW_BACKOFF_MAX = 120.0
FW_BACKOFF_TIMES = 3
# Sitemap indexes followed below a sitemap the study names, and sitemaps read per outlet and crawl;
# past either, a sitemap is counted as errors/sitemap_limit ([crawl] sitemap_max_depth and
# sitemaps_per_outlet in study.toml).
FW_SITEMAP_MAX_DEPTH = 3
FW_SITEMAPS_PER_OUTLET = 2000

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
