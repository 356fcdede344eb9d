"""The Pulumi program: settings, documents, components, and what it registers."""
