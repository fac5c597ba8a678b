"""Scrapy crawlers: news sites and Reddit, writing feed files that `pipeline` ingests."""
