from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "senda.directory"
    label = "directory"
