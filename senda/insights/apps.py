from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "senda.insights"
    label = "insights"
