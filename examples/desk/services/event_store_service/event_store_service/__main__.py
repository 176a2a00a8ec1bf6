from event_store_service.app import main

raise SystemExit(main())
