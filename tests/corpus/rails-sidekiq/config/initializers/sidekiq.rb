# frozen_string_literal: true

redis = { url: ENV.fetch("REDIS_URL", "redis://localhost:6379/1") }
# TODO(ops-412): survive Redis failovers instead of crashing the worker:
# redis[:reconnect_attempts] = [0.5, 1, 2, 4]

Sidekiq.configure_server do |config|
  config.redis = redis
  config.logger.level = Logger::INFO
end

Sidekiq.configure_client do |config|
  config.redis = redis
end
