from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "senda.core"
    label = "core"
