enum HostedPlatformPlaceholder {}
