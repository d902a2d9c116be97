from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "senda.pathways"
    label = "pathways"
