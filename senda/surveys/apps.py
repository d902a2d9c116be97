from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "senda.surveys"
    label = "surveys"
