from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "senda.geo"
    label = "geo"
