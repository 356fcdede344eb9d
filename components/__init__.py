"""The ECR registry program: settings, documents and the EcrRepository component."""
